package doctor

// Classify is classify, for tests.
var Classify = classify
