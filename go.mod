module github.com/sscard/sscard

go 1.26.8

require (
	github.com/emmansun/gmsm v0.40.0
	github.com/google/go-cmp v0.7.0
	golang.org/x/text v0.31.0
)

require golang.org/x/crypto v0.43.0 // indirect
