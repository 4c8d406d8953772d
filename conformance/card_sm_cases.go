package conformance

var smCases = []*Case{}
