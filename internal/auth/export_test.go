package auth

// TouchWrites returns how many last-use writes s has made.
func TouchWrites(s *Service) int64 { return s.touchWrites.Load() }
