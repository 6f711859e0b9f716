package io.fortress.db.backup;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * An object store, as small as the remote repository needs: whole objects in and out by key. The
 * S3 implementation is {@link S3Store}; everything about layout, encryption and publication order
 * lives in {@link RemoteRepository}.
 */
interface RemoteStore extends AutoCloseable {
    /** An object: its key and stored size. */
    record StoredObject(String key, long sizeBytes) {
    }

    /**
     * Stores the stream's bytes under {@code key}, in parts of bounded size; nothing is visible under the key
     * unless it all arrived. {@code expectedBytes} sizes the parts (S3 allows 10,000 per object).
     */
    void put(String key, InputStream content, long expectedBytes) throws IOException;

    /** The stored bytes of {@code key}; the caller closes the stream. */
    InputStream get(String key) throws IOException;

    /** Every object whose key starts with {@code prefix}. */
    List<StoredObject> list(String prefix) throws IOException;

    void delete(String key) throws IOException;

    /** Aborts the unfinished multipart uploads under {@code prefix}; returns how many. */
    int abortUnfinishedUploads(String prefix) throws IOException;

    /** Where the store is, for messages (never with credentials). */
    String describe();

    @Override
    void close();
}
