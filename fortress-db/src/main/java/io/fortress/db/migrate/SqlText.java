package io.fortress.db.migrate;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The text of a migration file as the engine uses it: UTF-8 without a byte order mark, line endings
 * normalised to LF. Its SHA-256 is the file's checksum, so a file saved with CRLF or a BOM on another
 * machine keeps its checksum, while any other change, even to whitespace or comments, changes it.
 */
final class SqlText {
    private SqlText() {
    }

    /**
     * Decodes a file strictly as UTF-8 and normalises it.
     *
     * @throws IllegalArgumentException when the bytes are not UTF-8
     */
    static String normalise(byte[] bytes) {
        int offset = bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF ? 3 : 0;
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, offset, bytes.length - offset))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("is not valid UTF-8 text", e);
        }
        return text.replace("\r\n", "\n").replace('\r', '\n');
    }

    /** The lower-case hex SHA-256 of normalised text. */
    static String checksum(String normalisedText) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(normalisedText.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
