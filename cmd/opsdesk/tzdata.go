package main

// The IANA time zone database is built into the binary (about 450 KB):
// alerts.timezone, the users' profile time zones and TZ work in
// containers that have no /usr/share/zoneinfo.
import _ "time/tzdata"
