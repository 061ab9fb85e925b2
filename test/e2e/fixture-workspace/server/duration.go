// Package server holds helpers for the configuration of the server.
package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration parses a human readable duration such as "1h30m" or "45s" into a time.Duration.
func ParseDuration(text string) (time.Duration, error) {
	units := map[byte]time.Duration{'h': time.Hour, 'm': time.Minute, 's': time.Second}
	var total time.Duration
	number := ""
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= '0' && c <= '9' {
			number += string(c)
			continue
		}
		unit, ok := units[c]
		if !ok || number == "" {
			return 0, fmt.Errorf("bad duration %q", text)
		}
		n, _ := strconv.Atoi(number)
		total += time.Duration(n) * unit
		number = ""
	}
	return total, nil
}

// JoinHostPort builds a "host:port" address, bracketing IPv6 hosts.
func JoinHostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		return fmt.Sprintf("[%s]:%d", host, port)
	}
	return fmt.Sprintf("%s:%d", host, port)
}
