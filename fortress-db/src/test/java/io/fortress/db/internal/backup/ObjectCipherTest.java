package io.fortress.db.internal.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The remote objects' encryption at its edges (issue #23, section 2), and pinned by test vectors that
 * an independent implementation of the documented format made (src/test/resources/backup/
 * cipher-vectors.py, Python's cryptography package): fortress must write and read exactly those bytes.
 */
class ObjectCipherTest {
    private static final int CHUNK = ObjectCipher.CHUNK;
    private static final int SEALED = CHUNK + 16;
    private static final int HEADER = ObjectCipher.HEADER_BYTES;
    private static final String NAME = "db/db_20240101_000000/db_20240101_000000.dump";
    private static final byte[] KEY_BYTES = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final EncryptionKeys.Key KEY = new EncryptionKeys.Key(KEY_BYTES, EncryptionKeys.fingerprint(KEY_BYTES));
    private static final EncryptionKeys KEYS = EncryptionKeys.none().with(KEY);

    private static byte[] encrypt(byte[] plain, String name) throws IOException {
        try (InputStream in = ObjectCipher.encrypting(new ByteArrayInputStream(plain), KEY, name)) {
            return in.readAllBytes();
        }
    }

    private static byte[] decrypt(byte[] stored, String name) throws IOException {
        try (InputStream in = ObjectCipher.decrypting(new ByteArrayInputStream(stored), KEYS, name)) {
            return in.readAllBytes();
        }
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i % 251);
        }
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static byte[] chunk(byte[] stored, int i) {
        return Arrays.copyOfRange(stored, HEADER + i * SEALED, Math.min(stored.length, HEADER + (i + 1) * SEALED));
    }

    @Test
    void writesAndReadsExactlyTheCommittedTestVectors() throws Exception {
        JsonNode vectors;
        try (InputStream in = ObjectCipherTest.class.getResourceAsStream("/backup/cipher-vectors.json")) {
            vectors = BackupStore.JSON.readTree(in).get("vectors");
        }
        assertThat(vectors).hasSizeGreaterThanOrEqualTo(4);
        for (JsonNode v : vectors) {
            byte[] key = HexFormat.of().parseHex(v.get("key").asText());
            EncryptionKeys.Key k = new EncryptionKeys.Key(key, EncryptionKeys.fingerprint(key));
            byte[] salt = HexFormat.of().parseHex(v.get("salt").asText());
            String name = v.get("name").asText();
            byte[] plain = v.has("plaintext") ? HexFormat.of().parseHex(v.get("plaintext").asText()) : pattern(v.get("plaintext_bytes").asInt());
            byte[] stored;
            try (InputStream in = ObjectCipher.encrypting(new ByteArrayInputStream(plain), k, name, salt)) {
                stored = in.readAllBytes();
            }
            String title = v.get("title").asText();
            if (v.has("ciphertext")) {
                assertThat(HexFormat.of().formatHex(stored)).as(title).isEqualTo(v.get("ciphertext").asText());
            } else {
                assertThat(stored.length).as(title).isEqualTo(v.get("ciphertext_bytes").asInt());
                assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(stored))).as(title)
                        .isEqualTo(v.get("ciphertext_sha256").asText());
            }
            assertThat(ObjectCipher.encryptedSize(plain.length)).as(title).isEqualTo(stored.length);
            try (InputStream in = ObjectCipher.decrypting(new ByteArrayInputStream(stored), EncryptionKeys.none().with(k), name)) {
                assertThat(in.readAllBytes()).as(title).isEqualTo(plain);
            }
        }
    }

    @Test
    void anObjectCutExactlyAtAChunkBoundaryFails() throws Exception {
        byte[] stored = encrypt(pattern(2 * CHUNK + 100), NAME);
        for (int chunks : new int[] {1, 2}) {
            byte[] cut = Arrays.copyOf(stored, HEADER + chunks * SEALED);
            assertThatThrownBy(() -> decrypt(cut, NAME)).as(chunks + " chunks kept")
                    .hasMessageContaining("object " + NAME + ": chunk " + (chunks - 1) + " (the last one read) fails authentication");
        }
        assertThatThrownBy(() -> decrypt(Arrays.copyOf(stored, HEADER), NAME)).hasMessageContaining("ends inside chunk 0 (cut off)");
    }

    @Test
    void swappedChunksFailAndTheStreamRefusesEveryReadAfterAFailedChunk() throws Exception {
        byte[] plain = pattern(3 * CHUNK);
        byte[] stored = encrypt(plain, NAME);
        byte[] swapped = concat(Arrays.copyOf(stored, HEADER), chunk(stored, 1), chunk(stored, 0), chunk(stored, 2));
        try (InputStream in = ObjectCipher.decrypting(new ByteArrayInputStream(swapped), KEYS, NAME)) {
            byte[] buf = new byte[CHUNK];
            assertThatThrownBy(() -> in.read(buf)).hasMessageContaining("chunk 0 fails authentication");
            // the next stored chunk is chunk 0's own, which would authenticate as chunk 0: it must not be handed out
            assertThatThrownBy(() -> in.read(buf)).hasMessageContaining("no further reads after a chunk failed");
            assertThatThrownBy(in::read).hasMessageContaining("no further reads after a chunk failed");
        }
    }

    @Test
    void anEmptyObjectRoundTripsAndEmptyOrHeaderOnlyStoredObjectsFail() throws Exception {
        byte[] stored = encrypt(new byte[0], NAME);
        assertThat(stored).hasSize(HEADER + 16);
        assertThat(decrypt(stored, NAME)).isEmpty();
        assertThatThrownBy(() -> decrypt(new byte[0], NAME)).hasMessageContaining("is not an object fortress encrypted (or was cut off in its header)");
        assertThatThrownBy(() -> decrypt(Arrays.copyOf(stored, HEADER), NAME)).hasMessageContaining("ends inside chunk 0 (cut off)");
    }

    @Test
    void anObjectOfAnExactMultipleOf64KiBHasNoEmptyTrailingChunk() throws Exception {
        byte[] plain = pattern(2 * CHUNK);
        byte[] stored = encrypt(plain, NAME);
        assertThat(stored).hasSize(HEADER + 2 * SEALED);
        assertThat((long) stored.length).isEqualTo(ObjectCipher.encryptedSize(plain.length));
        assertThat(decrypt(stored, NAME)).isEqualTo(plain);
        // the last full chunk is flagged last: without its successor's absence it fails
        byte[] firstOnly = Arrays.copyOf(stored, HEADER + SEALED);
        assertThatThrownBy(() -> decrypt(firstOnly, NAME)).hasMessageContaining("chunk 0 (the last one read) fails authentication");
    }

    @Test
    void aTrailingExtraChunkOrByteFails() throws Exception {
        byte[] stored = encrypt(pattern(CHUNK + 10), NAME);
        byte[] extraChunk = concat(stored, chunk(stored, 0));
        assertThatThrownBy(() -> decrypt(extraChunk, NAME)).hasMessageContaining("fails authentication");
        byte[] extraByte = concat(stored, new byte[] {0});
        assertThatThrownBy(() -> decrypt(extraByte, NAME)).hasMessageContaining("chunk 1").hasMessageContaining("fails authentication");
        // and a whole second object appended after the first
        byte[] twoObjects = concat(stored, encrypt(pattern(5), NAME));
        assertThatThrownBy(() -> decrypt(twoObjects, NAME)).hasMessageContaining("fails authentication");
    }

    @Test
    void anObjectReadUnderAnotherNameFails() throws Exception {
        byte[] stored = encrypt(pattern(100), NAME);
        assertThatThrownBy(() -> decrypt(stored, "db/db_20240101_000000/db_20240101_000000.globals.sql"))
                .hasMessageContaining("chunk 0 (the last one read) fails authentication");
    }
}
