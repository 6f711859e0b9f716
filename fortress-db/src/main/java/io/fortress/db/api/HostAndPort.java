package io.fortress.db.api;

/** A server address: {@code host}, {@code host:port}, {@code [ipv6]} or {@code [ipv6]:port}. */
public record HostAndPort(String host, int port) {

    public HostAndPort {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("empty host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range 1-65535");
        }
    }

    /** Parses {@code host}, {@code host:port} or {@code [ipv6]:port}; a missing port is {@code defaultPort}. */
    public static HostAndPort parse(String text, int defaultPort) {
        String s = text == null ? "" : text.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("'" + s + "' opens '[' without closing it");
            }
            String host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (rest.isEmpty()) {
                return new HostAndPort(host, defaultPort);
            }
            if (!rest.startsWith(":")) {
                throw new IllegalArgumentException("'" + s + "' has text after ']' that is not ':port'");
            }
            return new HostAndPort(host, parsePort(s, rest.substring(1)));
        }
        int colon = s.indexOf(':');
        if (colon < 0) {
            return new HostAndPort(s, defaultPort);
        }
        if (s.indexOf(':', colon + 1) >= 0) {
            return new HostAndPort(s, defaultPort); // a bare IPv6 address
        }
        return new HostAndPort(s.substring(0, colon), parsePort(s, s.substring(colon + 1)));
    }

    private static int parsePort(String whole, String port) {
        try {
            int p = Integer.parseInt(port);
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("'" + whole + "' has port " + p + ", outside 1-65535");
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + whole + "' has a port that is not a number");
        }
    }

    /** The address as a JDBC URL host part ({@code host:port}, IPv6 in brackets). */
    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
