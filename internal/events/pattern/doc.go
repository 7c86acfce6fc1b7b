// Package pattern implements Amazon EventBridge event patterns: Compile
// validates a pattern, Pattern.Match tests one event, Pattern.Explain says
// why an event matches or not, and a Set matches an event against many
// named patterns at once.
//
// A pattern is a JSON object with the shape of the events it matches. A
// field of the pattern is either a nested object, matched against the
// event's object of that name, or an array of values and filters, matched
// against the event's value there. Every field must match; fields of the
// event the pattern does not name are ignored. An array matches if any of
// its entries does, and an event value that is itself an array matches if
// any of its elements does (the two arrays intersect).
//
// Entries of a pattern array:
//
//	"aws.ec2", 80, true, null   the event value is exactly this (a string
//	                            is compared byte for byte; "" and null are
//	                            different values)
//	{"prefix": "us-"}            a string that starts with "us-"; also
//	                            {"prefix": {"equals-ignore-case": "us-"}}
//	{"suffix": ".png"}           a string that ends with ".png"; also with
//	                            {"equals-ignore-case": ...}
//	{"equals-ignore-case": "a"}  a string equal to "a" under Unicode case folding
//	{"wildcard": "dir/*.png"}    a string matching the glob: * is any run of
//	                            characters, \* a literal star, \\ a backslash
//	{"anything-but": X}          a value that is present and not X, where X is
//	                            a string, a number, a list of only strings or
//	                            only numbers, or {"prefix": s}, {"suffix": s},
//	                            {"equals-ignore-case": s or [s...]},
//	                            {"wildcard": s or [s...]}
//	{"numeric": [">", 0, "<=", 5]}  a number in the range; also one bound
//	                            ["<", 10] or ["=", 3.5]
//	{"cidr": "10.0.0.0/24"}      a string holding an IPv4 or IPv6 address in
//	                            the block
//	{"exists": true}             the field is present; false: it is absent
//
// and an object may hold "$or": [{...}, {...}], a list of at least two
// pattern objects one of which must match at that level.
//
// Semantics this package takes from the EventBridge documentation, where
// it speaks, and chooses where it does not:
//
//   - Exact numbers compare as written, not by value: the documentation
//     says 300, 300.0 and 3.0e2 are not equal. Use {"numeric": ["=", 300]}
//     to compare by value. Numbers in "anything-but" compare by value.
//   - "numeric" matches only JSON numbers, "prefix" and the other string
//     filters only strings; "numeric" bounds must lie within ±5e9, the
//     documented range.
//   - "exists" looks at leaves only: a field that holds an object, or an
//     array with no values (empty, or only objects), counts as absent.
//     null is a value, so {"exists": true} matches it. A field under a
//     missing parent is absent.
//   - "anything-but" needs a value: it never matches an absent field. A
//     value of another type than its list (a number against a list of
//     strings, null, a boolean) is "anything but" the list and matches; the
//     prefix, suffix, equals-ignore-case and wildcard forms exclude strings
//     only. Against an event array it matches if any element is not
//     excluded (intersection, as for every entry).
//   - A nested pattern object against an event array matches if one object
//     of the array matches all of it, so conditions are never satisfied
//     by different elements.
//   - A key given twice in a pattern object: the last one counts (as
//     documented). An event's duplicate keys: the last one counts (as
//     encoding/json decodes them).
//   - "$or" is always the operator; a pattern cannot name an event field
//     called "$or".
//
// Events are decoded by this package's own JSON reader, which accepts
// exactly what encoding/json accepts and yields the same values; Match and
// MatchValue on the same event agree (FuzzMatch checks it).
package pattern
