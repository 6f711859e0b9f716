package io.fortress.db.backup;

import java.util.regex.Pattern;

/**
 * Where remote copies go: an S3 bucket and a key prefix, from {@code s3://<bucket>[/<prefix>]}.
 * Credentials are never part of it (they come from the standard AWS sources).
 *
 * @param bucket the bucket's name
 * @param prefix the key prefix, without leading or trailing slash; empty for the bucket's root
 */
public record RemoteLocation(String bucket, String prefix) {
    // S3's bucket naming rules: 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    /**
     * Parses {@code s3://bucket/prefix}.
     *
     * @throws IllegalArgumentException saying what is wrong and what is accepted
     */
    public static RemoteLocation parse(String text) {
        if (!text.startsWith("s3://")) {
            throw new IllegalArgumentException("'" + text + "' does not start with s3://");
        }
        String rest = text.substring("s3://".length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1).replaceAll("^/+|/+$", "");
        if (bucket.contains("@") || bucket.contains(":")) {
            throw new IllegalArgumentException("the location holds credentials or a port; credentials come from the AWS sources "
                    + "(e.g. AWS_ACCESS_KEY_ID), the server from BACKUP_REMOTE_ENDPOINT");
        }
        if (!BUCKET.matcher(bucket).matches()) {
            throw new IllegalArgumentException("'" + bucket + "' is not a bucket name (3 to 63 lower-case letters, digits, dots and "
                    + "hyphens, starting and ending with a letter or digit)");
        }
        if (prefix.contains("//") || prefix.contains("..")) {
            throw new IllegalArgumentException("the prefix '" + prefix + "' holds an empty or '..' segment");
        }
        return new RemoteLocation(bucket, prefix);
    }

    /** The key of {@code path} under this location's prefix. */
    public String key(String path) {
        return prefix.isEmpty() ? path : prefix + "/" + path;
    }

    @Override
    public String toString() {
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }
}
