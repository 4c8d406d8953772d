package conformance

var authCases = []*Case{}
