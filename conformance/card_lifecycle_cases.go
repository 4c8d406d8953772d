package conformance

var lifeCycleCases = []*Case{}
