package conformance

var generationCases = []*Case{}
