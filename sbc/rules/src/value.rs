//! Reading and changing the parts of one header value: the URI it carries (name-addr
//! `"Bob" <sip:bob@host:5060;transport=tcp>;tag=1` or addr-spec `sip:bob@host;tag=1`),
//! that URI's user, host and port, and the header parameters after it.

/// A part of a URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriPart {
    User,
    Host,
    Port,
}

impl UriPart {
    pub fn from_name(s: &str) -> Option<UriPart> {
        match s.to_ascii_lowercase().as_str() {
            "user" => Some(UriPart::User),
            "host" => Some(UriPart::Host),
            "port" => Some(UriPart::Port),
            _ => None,
        }
    }

    /// Whether `text` may stand in this part of a SIP URI (RFC 3261 §25.1): a user of
    /// unreserved, escaped and user-unreserved characters; a host name or address; a port.
    pub fn accepts(self, text: &str) -> bool {
        match self {
            UriPart::User => {
                !text.is_empty()
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.!~*'()%&=+$,;?/".contains(&b))
            }
            UriPart::Host => {
                !text.is_empty()
                    && (text
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
                        || (text.starts_with('[')
                            && text.ends_with(']')
                            && text[1..text.len() - 1]
                                .parse::<std::net::Ipv6Addr>()
                                .is_ok()))
            }
            UriPart::Port => text.parse::<u16>().is_ok_and(|p| p > 0),
        }
    }
}

/// Where in a header value its URI lies: `[start, end)`, and where header parameters
/// begin (`;` after the URI, or the value's end).
fn uri_span(value: &str) -> (usize, usize, usize) {
    let bytes = value.as_bytes();
    let mut quoted = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'<' if !quoted => {
                let start = i + 1;
                let end = value[start..].find('>').map_or(value.len(), |e| start + e);
                let params = value[end..].find(';').map_or(value.len(), |p| end + p);
                return (start, end, params);
            }
            _ => {}
        }
        i += 1;
    }
    let end = value.find(';').unwrap_or(value.len());
    (0, end, end)
}

/// The URI in a header value (the whole value for a Request-URI).
pub fn uri_of(value: &str) -> &str {
    let (s, e, _) = uri_span(value);
    value[s..e].trim()
}

/// Offsets of user, host and port inside a URI; empty ranges where absent (`port`
/// then points where `:port` would go).
fn uri_parts(uri: &str) -> Option<[(usize, usize); 3]> {
    let colon = uri.find(':')?;
    let rest_start = colon + 1;
    let rest_end = uri[rest_start..]
        .find([';', '?'])
        .map_or(uri.len(), |e| rest_start + e);
    let rest = &uri[rest_start..rest_end];
    if uri[..colon].eq_ignore_ascii_case("tel") {
        return Some([
            (rest_start, rest_end),
            (rest_end, rest_end),
            (rest_end, rest_end),
        ]);
    }
    let (user, host_start) = match rest.rfind('@') {
        Some(at) => {
            let user_end = rest[..at].find(':').unwrap_or(at);
            ((rest_start, rest_start + user_end), rest_start + at + 1)
        }
        None => ((rest_start, rest_start), rest_start),
    };
    let hostport = &uri[host_start..rest_end];
    let host_len = if hostport.starts_with('[') {
        hostport.find(']').map_or(hostport.len(), |e| e + 1)
    } else {
        hostport.find(':').unwrap_or(hostport.len())
    };
    let host = (host_start, host_start + host_len);
    let port = if uri[host.1..rest_end].starts_with(':') {
        (host.1 + 1, rest_end)
    } else {
        (host.1, host.1)
    };
    Some([user, host, port])
}

fn index(part: UriPart) -> usize {
    match part {
        UriPart::User => 0,
        UriPart::Host => 1,
        UriPart::Port => 2,
    }
}

/// A part of the URI in `value`; `None` when absent.
pub fn get_uri_part(value: &str, part: UriPart, whole_is_uri: bool) -> Option<&str> {
    let (s, e) = if whole_is_uri {
        (0, value.len())
    } else {
        let (s, e, _) = uri_span(value);
        (s, e)
    };
    let uri = &value[s..e];
    let (ps, pe) = uri_parts(uri)?[index(part)];
    (pe > ps).then(|| &uri[ps..pe])
}

/// `value` with a part of its URI replaced by `new` (`None` removes a user or a port).
pub fn set_uri_part(
    value: &str,
    part: UriPart,
    new: Option<&str>,
    whole_is_uri: bool,
) -> Option<String> {
    let (s, e) = if whole_is_uri {
        (0, value.len())
    } else {
        let (s, e, _) = uri_span(value);
        (s, e)
    };
    let uri = &value[s..e];
    let parts = uri_parts(uri)?;
    let (ps, pe) = parts[index(part)];
    let new_uri = match (part, new) {
        (UriPart::User, Some(u)) if pe == ps && parts[1].1 > parts[1].0 => {
            format!("{}{u}@{}", &uri[..ps], &uri[ps..])
        }
        (UriPart::User, None) if pe > ps => {
            // Remove `user[:password]@`.
            let at = parts[1].0;
            format!("{}{}", &uri[..ps], &uri[at..])
        }
        (UriPart::Port, Some(p)) if pe == ps => format!("{}:{p}{}", &uri[..ps], &uri[ps..]),
        (UriPart::Port, None) if pe > ps => format!("{}{}", &uri[..ps - 1], &uri[pe..]),
        (_, Some(text)) => format!("{}{text}{}", &uri[..ps], &uri[pe..]),
        (_, None) => uri.to_owned(),
    };
    Some(format!("{}{new_uri}{}", &value[..s], &value[e..]))
}

/// The header parameter `name` of `value`: `Some(Some(v))` for `;name=v`, `Some(None)`
/// for a bare `;name`.
pub fn get_param<'a>(value: &'a str, name: &str) -> Option<Option<&'a str>> {
    let (_, _, p) = uri_span(value);
    value[p..]
        .split(';')
        .skip(1)
        .map(str::trim)
        .find_map(|item| match item.split_once('=') {
            Some((n, v)) if n.trim().eq_ignore_ascii_case(name) => Some(Some(v.trim())),
            None if item.eq_ignore_ascii_case(name) => Some(None),
            _ => None,
        })
}

/// `value` with header parameter `name` set to `new` (`Some("")` for a bare flag), or
/// removed (`None`).
pub fn set_param(value: &str, name: &str, new: Option<&str>) -> String {
    let (_, _, p) = uri_span(value);
    let head = &value[..p];
    let mut items: Vec<String> = value[p..]
        .split(';')
        .skip(1)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let matches = |item: &String| {
        item.split_once('=')
            .map_or(item.as_str(), |(n, _)| n)
            .trim()
            .eq_ignore_ascii_case(name)
    };
    let rendered = new.map(|v| {
        if v.is_empty() {
            name.to_owned()
        } else {
            format!("{name}={v}")
        }
    });
    match (items.iter().position(matches), rendered) {
        (Some(i), Some(r)) => items[i] = r,
        (Some(i), None) => {
            items.remove(i);
        }
        (None, Some(r)) => items.push(r),
        (None, None) => {}
    }
    let mut out = head.trim_end().to_owned();
    for item in items {
        out.push(';');
        out.push_str(&item);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_parts_of_name_addr_and_addr_spec() {
        let v = "\"A;<b>\" <sip:alice:pw@a.example:5070;transport=tcp>;tag=9";
        assert_eq!(get_uri_part(v, UriPart::User, false), Some("alice"));
        assert_eq!(get_uri_part(v, UriPart::Host, false), Some("a.example"));
        assert_eq!(get_uri_part(v, UriPart::Port, false), Some("5070"));
        assert_eq!(get_param(v, "tag"), Some(Some("9")));
        let v = "sip:+4930@[2001:db8::1];user=phone";
        assert_eq!(get_uri_part(v, UriPart::Host, false), Some("[2001:db8::1]"));
        assert_eq!(get_uri_part(v, UriPart::Port, false), None);
        assert_eq!(get_param(v, "user"), Some(Some("phone")));
        assert_eq!(
            get_uri_part("tel:+4930;phone-context=x", UriPart::User, true),
            Some("+4930")
        );
    }

    #[test]
    fn sets_and_removes_parts() {
        let v = "<sip:alice@a.example>;tag=9";
        assert_eq!(
            set_uri_part(v, UriPart::Host, Some("b.example"), false).as_deref(),
            Some("<sip:alice@b.example>;tag=9")
        );
        assert_eq!(
            set_uri_part(v, UriPart::Port, Some("5080"), false).as_deref(),
            Some("<sip:alice@a.example:5080>;tag=9")
        );
        assert_eq!(
            set_uri_part("sip:a.example:5060;x", UriPart::Port, None, true).as_deref(),
            Some("sip:a.example;x")
        );
        assert_eq!(
            set_uri_part("<sip:a.example>", UriPart::User, Some("bob"), false).as_deref(),
            Some("<sip:bob@a.example>")
        );
        assert_eq!(
            set_uri_part("<sip:bob:x@a.example>", UriPart::User, None, false).as_deref(),
            Some("<sip:a.example>")
        );
        assert_eq!(
            set_param(v, "privacy", Some("id")),
            "<sip:alice@a.example>;tag=9;privacy=id"
        );
        assert_eq!(set_param(v, "TAG", None), "<sip:alice@a.example>");
        assert_eq!(set_param("X; a ;b=1", "a", Some("2")), "X;a=2;b=1");
    }

    #[test]
    fn parts_accept_only_what_a_uri_may_hold() {
        assert!(UriPart::User.accepts("+49%2030"));
        assert!(!UriPart::User.accepts("a b"));
        assert!(!UriPart::User.accepts("a@b"));
        assert!(UriPart::Host.accepts("sbc1.example.com"));
        assert!(UriPart::Host.accepts("[::1]"));
        assert!(!UriPart::Host.accepts("a>b"));
        assert!(!UriPart::Port.accepts("0") && UriPart::Port.accepts("5061"));
    }
}
