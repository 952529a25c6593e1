// Package report holds what the benchmark tools' JSON result lines share:
// the names under which they count answers by HTTP status (bench/run.sh
// reads them, e.g. "status":{"200":...,"503":...}).
package report
