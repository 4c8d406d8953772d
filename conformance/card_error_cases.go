package conformance

var errorCases = []*Case{}
