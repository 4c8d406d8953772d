package conformance

// The card suite: the card OS commands, the SSSE data model, PINs, keys,
// secure messaging, logical channels and the life cycle (CARD.md §2, §3,
// §6; ISO/IEC 7816-4). Its cases are grouped in the card_*_cases.go files.
func init() {
	var cases []*Case
	for _, group := range [][]*Case{
		selectCases, readCases, traceCases, generationCases, pinCases,
		authCases, smCases, writeCases, channelCases, lifeCycleCases, errorCases, moreCases,
	} {
		cases = append(cases, group...)
	}
	Register(&Suite{Name: "card", Title: "Social security card: card OS and SSSE", Cases: cases})
}
