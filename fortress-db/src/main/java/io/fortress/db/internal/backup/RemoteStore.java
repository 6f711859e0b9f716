package io.fortress.db.internal.backup;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * An object store, as small as the remote repository needs: whole objects in and out by key. The
 * S3 implementation is {@link S3Store}; everything about layout, encryption and publication order
 * lives in {@link RemoteRepository}.
 */
public interface RemoteStore extends AutoCloseable {
    /** An object: its key and stored size. */
    public record StoredObject(String key, long sizeBytes) {
    }

    /**
     * Stores the stream's bytes under {@code key}, in parts of bounded size; nothing is visible under the key
     * unless it all arrived. {@code expectedBytes} sizes the parts (S3 allows 10,000 per object).
     */
    public void put(String key, InputStream content, long expectedBytes) throws IOException;

    /** The stored bytes of {@code key}; the caller closes the stream. */
    public InputStream get(String key) throws IOException;

    /** Every object whose key starts with {@code prefix}. */
    public List<StoredObject> list(String prefix) throws IOException;

    public void delete(String key) throws IOException;

    /** Aborts the unfinished multipart uploads under {@code prefix}; returns how many. */
    public int abortUnfinishedUploads(String prefix) throws IOException;

    /** Where the store is, for messages (never with credentials). */
    public String describe();

    @Override
    public void close();
}
