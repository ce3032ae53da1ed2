package okta

import "strings"

// nextLink returns the target of the rel="next" link among the values of the Link headers of a
// response (RFC 8288). Okta sends one Link header per relation (self, next), but a proxy may
// fold them into one comma-separated value; both forms are read. Malformed links are skipped.
func nextLink(values []string) (string, bool) {
	for _, v := range values {
		for _, l := range parseLinks(v) {
			for _, rel := range strings.Fields(l.rel) {
				if strings.EqualFold(rel, "next") {
					return l.uri, true
				}
			}
		}
	}
	return "", false
}

type link struct{ uri, rel string }

// parseLinks parses one Link header value: `<uri>; p=v; rel="next", <uri2>; rel=self`.
func parseLinks(s string) []link {
	var out []link
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return out
		}
		if s[0] != '<' {
			// Not a link: skip to the next comma outside quotes.
			s = skipParams(s)
			continue
		}
		end := strings.IndexByte(s, '>')
		if end < 0 {
			return out
		}
		l := link{uri: strings.TrimSpace(s[1:end])}
		s = s[end+1:]
		// Parameters until a comma outside quotes.
		for {
			s = strings.TrimLeft(s, " \t")
			if s == "" || s[0] == ',' {
				break
			}
			if s[0] != ';' {
				s = skipParams(s)
				break
			}
			s = strings.TrimLeft(s[1:], " \t")
			name, rest, value := parseParam(s)
			s = rest
			if strings.EqualFold(name, "rel") {
				l.rel = value
			}
		}
		if l.uri != "" && !strings.ContainsAny(l.uri, "<> ") {
			out = append(out, l)
		}
	}
}

// parseParam reads `name=value` or `name="quoted value"` from the start of s.
func parseParam(s string) (name, rest, value string) {
	i := strings.IndexAny(s, "=;,")
	if i < 0 {
		return strings.TrimSpace(s), "", ""
	}
	name = strings.TrimSpace(s[:i])
	if s[i] != '=' {
		return name, s[i:], ""
	}
	s = strings.TrimLeft(s[i+1:], " \t")
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for j := 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				if j+1 < len(s) {
					j++
					b.WriteByte(s[j])
				}
			case '"':
				return name, s[j+1:], b.String()
			default:
				b.WriteByte(s[j])
			}
		}
		return name, "", b.String()
	}
	j := strings.IndexAny(s, ";,")
	if j < 0 {
		return name, "", strings.TrimSpace(s)
	}
	return name, s[j:], strings.TrimSpace(s[:j])
}

// skipParams drops everything up to the next comma that is not inside quotes.
func skipParams(s string) string {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == ',' && !quoted:
			return s[i+1:]
		}
	}
	return ""
}
