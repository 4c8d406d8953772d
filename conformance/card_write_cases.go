package conformance

var writeCases = []*Case{}
