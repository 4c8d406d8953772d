package conformance

var channelCases = []*Case{}
