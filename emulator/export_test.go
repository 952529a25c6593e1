package emulator

// SetMaxUpload lowers the largest file /v1/files/upload accepts, so tests
// can reach the limit cheaply. Call it before s serves any request.
func SetMaxUpload(s *Server, n int64) { s.maxUpload = n }

// SetResourceLimit lowers the bound of every resource map (bots, files,
// workflow runs, interrupts, datasets, documents) to n, so tests can reach
// the bounds cheaply. Seeded entries count.
func SetResourceLimit(s *Server, n int) {
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.bots.limit, rs.files.limit, rs.runs.limit = n, n, n
	rs.interrupts.limit, rs.datasets.limit, rs.documents.limit = n, n, n
}

// ResourceCounts reports how many bots, files, runs, interrupts, datasets
// and documents the emulator holds.
func ResourceCounts(s *Server) [6]int {
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return [6]int{rs.bots.len(), rs.files.len(), rs.runs.len(), rs.interrupts.len(), rs.datasets.len(), rs.documents.len()}
}
