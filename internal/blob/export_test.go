package blob

// SetReadWindow sets how much one ranged GET of s asks for, so that tests
// read objects of a few hundred kilobytes in several windows.
func SetReadWindow(s Store, n int64) { s.(*S3).window = n }
