package io.fortress.spring;

import io.fortress.db.api.ConsistencyToken;
import io.fortress.db.api.InvalidConsistencyTokenException;
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
 * into the same response header, for the client to send next time. A malformed token, or one naming a WAL position past
 * the primary's (which no write of this database produced: forged, or from another cluster), is answered with 400 naming
 * the header, instead of being waited for on every replica.
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
        } catch (ServletException | IOException | RuntimeException e) {
            InvalidConsistencyTokenException forged = forged(e, received);
            if (forged == null || response.isCommitted()) {
                throw e;
            }
            response.sendError(HttpServletResponse.SC_BAD_REQUEST, "header " + header + " is not a consistency token of this "
                    + "database: " + forged.getMessage());
        } finally {
            ConsistencyTokens.unbind();
        }
    }

    /**
     * The library's refusal of the token this request sent (past the primary's WAL position: forged, or from another
     * cluster), however Spring wrapped it on its way out (CannotCreateTransactionException, ServletException); null for
     * any other failure, which is the application's to answer.
     */
    private static InvalidConsistencyTokenException forged(Throwable failure, ConsistencyToken received) {
        for (Throwable t = failure; t != null && received != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof InvalidConsistencyTokenException refused && received.equals(refused.token())) {
                return refused;
            }
        }
        return null;
    }
}
