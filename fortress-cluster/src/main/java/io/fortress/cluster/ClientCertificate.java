package io.fortress.cluster;

import java.nio.file.Path;

/**
 * A client certificate issued by a local cluster's private authority.
 *
 * @param certificate the PEM certificate (DB_SSLCERT)
 * @param key         the key as unencrypted PKCS#8 DER, the format the PostgreSQL JDBC driver reads (DB_SSLKEY)
 * @param pemKey      the same key as PEM, for libpq tools such as psql
 */
public record ClientCertificate(Path certificate, Path key, Path pemKey) {
}
