package emulator

// SetConversationLimits lowers s's conversation store bounds (zero keeps a
// default) so tests can reach them cheaply. Call it before s serves any
// request.
func SetConversationLimits(s *Server, convs, convMsgs, convChats, msgs, bytes int) {
	s.convs.limits = convLimits{convs: convs, convMsgs: convMsgs, convChats: convChats, msgs: msgs, bytes: bytes}
}

// ConversationStats reports the conversations, messages and bytes s holds.
func ConversationStats(s *Server) (convs, msgs, bytes int) { return s.convs.stats() }
