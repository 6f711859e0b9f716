package io.fortress.db.internal.backup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticated streaming encryption of one remote object, with the JDK's AES-256-GCM only.
 *
 * <p>Layout: a 32-byte header ({@code FTRSENC1}, the key's 8-byte fingerprint, a random 16-byte
 * salt), then the plaintext in 64 KiB chunks, each sealed with its own tag. Each object has its own
 * key, HMAC-SHA256(key, label ‖ salt), so nonces only need to be unique within the object: a chunk's
 * nonce is its index and a flag set on the last chunk alone, and every chunk authenticates the header
 * and the object's name (its key in the store), so an object copied under another name fails too.
 * A flipped bit fails its chunk's tag; swapped chunks fail their index; a cut-off object lacks its
 * last-flagged chunk; bytes after it are refused. This is the STREAM construction Tink's
 * AES-GCM-HKDF streaming AEAD uses, in 150 lines and no new dependency. Memory: one chunk.
 */
public final class ObjectCipher {
    public static final byte[] MAGIC = "FTRSENC1".getBytes(StandardCharsets.US_ASCII);
    public static final int HEADER_BYTES = 32;
    public static final int CHUNK = 64 * 1024;
    private static final int TAG_BYTES = 16;
    private static final byte[] LABEL = "fortress backup object v1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private ObjectCipher() {
    }

    /** The stored size of {@code plainBytes} once encrypted. */
    public static long encryptedSize(long plainBytes) {
        long chunks = Math.max(1, (plainBytes + CHUNK - 1) / CHUNK);
        return HEADER_BYTES + plainBytes + chunks * TAG_BYTES;
    }

    /** Whether stored bytes begin as an encrypted object does. */
    public static boolean isEncrypted(byte[] start) {
        return start.length >= MAGIC.length && Arrays.equals(start, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /** The plaintext of {@code plain}, encrypted with {@code key} as it is read, for the object named {@code name}. */
    public static InputStream encrypting(InputStream plain, EncryptionKeys.Key key, String name) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return encrypting(plain, key, name, salt);
    }

    /** As {@link #encrypting(InputStream, EncryptionKeys.Key, String)} with a given salt: for test vectors only, never reuse one. */
    public static InputStream encrypting(InputStream plain, EncryptionKeys.Key key, String name, byte[] salt) {
        byte[] header = ByteBuffer.allocate(HEADER_BYTES).put(MAGIC).put(HexFormat.of().parseHex(key.fingerprint())).put(salt).array();
        return new Chunked(new PushbackInputStream(plain, 1), header, aad(header, name), objectKey(key, salt), true, "encryption");
    }

    /**
     * The plaintext of a stored object, checked chunk by chunk as it is read.
     *
     * @param name the object's name, as it was encrypted for; also names it in errors
     * @throws IOException on a header that is not fortress's, naming the object; the key is looked up by the header's fingerprint
     */
    public static InputStream decrypting(InputStream stored, EncryptionKeys keys, String name) throws IOException {
        String what = "object " + name;
        byte[] header = stored.readNBytes(HEADER_BYTES);
        if (header.length < HEADER_BYTES || !isEncrypted(header)) {
            throw new IOException(what + " is not an object fortress encrypted (or was cut off in its header)");
        }
        String fingerprint = HexFormat.of().formatHex(header, MAGIC.length, MAGIC.length + 8);
        EncryptionKeys.Key key = keys.forFingerprint(fingerprint, what);
        byte[] salt = Arrays.copyOfRange(header, MAGIC.length + 8, HEADER_BYTES);
        return new Chunked(new PushbackInputStream(stored, 1), header, aad(header, name), objectKey(key, salt), false, what);
    }

    /** What every chunk authenticates besides its content: the header and the object's name. */
    private static byte[] aad(byte[] header, String name) {
        byte[] n = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return ByteBuffer.allocate(header.length + n.length).put(header).put(n).array();
    }

    private static SecretKeySpec objectKey(EncryptionKeys.Key key, byte[] salt) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.bytes(), "HmacSHA256"));
            mac.update(LABEL);
            return new SecretKeySpec(mac.doFinal(salt), "AES");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks HmacSHA256", e);
        }
    }

    /** Reads one side in chunks and hands out the other: encrypting (header first) or decrypting. */
    private static final class Chunked extends InputStream {
        private final PushbackInputStream in;
        private final byte[] aad;
        private final SecretKeySpec key;
        private final boolean encrypt;
        private final String what;
        private final Cipher cipher;
        private byte[] out;
        private int pos;
        private long index;
        private boolean finished;
        /** Set once a chunk failed: nothing after it may be handed out (a later chunk could authenticate on its own). */
        private IOException failed;

        Chunked(PushbackInputStream in, byte[] header, byte[] aad, SecretKeySpec key, boolean encrypt, String what) {
            this.in = in;
            this.aad = aad;
            this.key = key;
            this.encrypt = encrypt;
            this.what = what;
            try {
                this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK lacks AES/GCM", e);
            }
            this.out = encrypt ? header : new byte[0];
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (failed != null) {
                throw new IOException(what + ": no further reads after a chunk failed (" + failed.getMessage() + ")", failed);
            }
            if (len == 0) {
                return 0;
            }
            while (pos == out.length) {
                if (finished) {
                    return -1;
                }
                try {
                    next();
                } catch (IOException e) {
                    failed = e;
                    throw e;
                }
            }
            int n = Math.min(len, out.length - pos);
            System.arraycopy(out, pos, b, off, n);
            pos += n;
            return n;
        }

        private void next() throws IOException {
            byte[] chunk = in.readNBytes(encrypt ? CHUNK : CHUNK + TAG_BYTES);
            int peek = in.read();
            boolean last = peek < 0;
            if (!last) {
                in.unread(peek);
            }
            if (!encrypt && chunk.length < TAG_BYTES) {
                throw new IOException(what + " ends inside chunk " + index + " (cut off)");
            }
            if (!encrypt && chunk.length < CHUNK + TAG_BYTES && !last) {
                throw new IOException(what + " has a short chunk " + index + " before its end");
            }
            byte[] nonce = ByteBuffer.allocate(12).putLong(index).putInt(last ? 1 : 0).array();
            try {
                cipher.init(encrypt ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, nonce));
                cipher.updateAAD(aad);
                out = cipher.doFinal(chunk);
            } catch (AEADBadTagException e) {
                throw new IOException(what + ": chunk " + index + (last ? " (the last one read)" : "")
                        + " fails authentication: the object was altered, cut off, reordered or copied from another name, or the "
                        + "key is not the one it was encrypted with");
            } catch (GeneralSecurityException e) {
                throw new IOException(what + ": " + (encrypt ? "encrypting" : "decrypting") + " chunk " + index + " failed: " + e.getMessage(), e);
            }
            pos = 0;
            index++;
            finished = last;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** Reads a whole small object's plaintext (a manifest). */
    public static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        in.transferTo(buf);
        return buf.toByteArray();
    }
}
