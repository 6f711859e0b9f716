package io.fortress.db.migrate;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The text of a migration file: its bytes decoded as UTF-8 and nothing else, so that what runs is
 * what golang-migrate would send for the same file (CR and CRLF inside literals and bodies included).
 * Only the checksum normalises line endings, so a checkout with other line endings keeps its checksum
 * while any other change, even to whitespace or comments, changes it.
 */
final class SqlText {
    private SqlText() {
    }

    /**
     * Decodes a file strictly as UTF-8, unchanged.
     *
     * @throws IllegalArgumentException when the bytes are not UTF-8, or start with a byte order mark
     */
    static String decode(byte[] bytes) {
        if (bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF) {
            // golang-migrate sends the mark to PostgreSQL with the first statement, which then fails ("\ufeffCREATE")
            throw new IllegalArgumentException("starts with a UTF-8 byte order mark (the bytes EF BB BF), which golang-migrate sends to "
                    + "PostgreSQL as part of the first statement, where it is a syntax error; save the file as UTF-8 without BOM");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("is not valid UTF-8 text", e);
        }
    }

    /**
     * The lower-case hex SHA-256 of the text with CRLF and lone CR turned into LF: the checksum files
     * had before they ran as their bytes, kept so that recorded checksums stay valid.
     */
    static String checksum(String text) {
        String normalised = text.replace("\r\n", "\n").replace('\r', '\n');
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(normalised.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
