package io.fortress.spring;

import io.fortress.db.api.ConsistencyToken;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Read-your-writes across requests: a request may carry the token of the client's last write in a
 * header ({@code Fortress-Consistency-Token} by default); read-only transactions labelled
 * {@code fortress:read-your-writes} then read from a replica that has replayed it (the primary when
 * none has in time). Each read-write transaction of the request that commits puts the newer token
 * into the same response header, for the client to send next time.
 */
public final class ConsistencyTokenFilter extends OncePerRequestFilter {
    private final String header;

    public ConsistencyTokenFilter(String header) {
        this.header = header;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String sent = request.getHeader(header);
        ConsistencyToken received = null;
        if (sent != null && !sent.isBlank()) {
            try {
                received = ConsistencyToken.parse(sent);
            } catch (IllegalArgumentException e) {
                response.sendError(HttpServletResponse.SC_BAD_REQUEST, "header " + header + " is not a consistency token: " + e.getMessage());
                return;
            }
        }
        ConsistencyTokens.bind(received, token -> {
            if (!response.isCommitted()) {
                response.setHeader(header, token.toString());
            }
        });
        try {
            chain.doFilter(request, response);
        } finally {
            ConsistencyTokens.unbind();
        }
    }
}
