package intent

// SetWorkQueue replaces s's work queue with one of n places (before Run),
// so that tests can overflow it with a few intents.
func SetWorkQueue(s *Service, n int) { s.work = make(chan string, n) }

// HandOffPlans is how many accept-time plans s holds for its workers.
func HandOffPlans(s *Service) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.planned)
}
