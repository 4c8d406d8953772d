module github.com/sscard/sscard

go 1.26.8

require (
	github.com/ebfe/scard v0.0.0-20230420082256-7db3f9b7c8a7
	github.com/emmansun/gmsm v0.40.0
	github.com/google/go-cmp v0.7.0
	golang.org/x/text v0.31.0
)

require golang.org/x/crypto v0.43.0 // indirect
