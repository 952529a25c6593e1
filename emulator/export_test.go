package emulator

// SetMaxUpload lowers the largest file /v1/files/upload accepts, so tests
// can reach the limit cheaply. Call it before s serves any request.
func SetMaxUpload(s *Server, n int64) { s.maxUpload = n }
