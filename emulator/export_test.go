package emulator

// SameTemplate reports whether two cards share their template (file tree
// and layout).
func SameTemplate(a, b *Card) bool { return a.tmpl == b.tmpl }
