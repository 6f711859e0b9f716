package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.RemoteLocation;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link RemoteStore} on the S3 API (AWS, or any compatible server through BACKUP_REMOTE_ENDPOINT),
 * with AWS SDK v2. Credentials come from the SDK's default chain (environment, system properties,
 * profile files, container and instance roles). Since SDK 2.30 requests carry CRC32 checksums by
 * default, which many S3-compatible servers refuse; they are sent only where the API requires them,
 * and content is checked against the manifest's SHA-256 instead. Objects up to one part go in one
 * PUT; larger ones as a multipart upload of {@link #PART_BYTES} parts, one part in memory at a time.
 */
public final class S3Store implements RemoteStore {
    /** The smallest part of a multipart upload (S3 wants at least 5 MiB but for the last). */
    public static final int PART_BYTES = 8 * 1024 * 1024;
    /** Parts are sized to stay under this many (S3's limit is 10,000), whatever the object's size. */
    private static final long MAX_PARTS = 9_000;

    private final S3Client s3;
    private final String bucket;
    private final String where;

    public S3Store(BackupConfig config) {
        RemoteLocation location = config.remote().orElseThrow();
        var builder = S3Client.builder()
                .region(Region.of(config.remoteRegion()))
                .forcePathStyle(config.remotePathStyle())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        config.remoteEndpoint().ifPresent(builder::endpointOverride);
        this.s3 = builder.build();
        this.bucket = location.bucket();
        this.where = location + config.remoteEndpoint().map(u -> " at " + u).orElse("");
    }

    @Override
    public void put(String key, InputStream content, long expectedBytes) throws IOException {
        int partBytes = (int) Math.min(Integer.MAX_VALUE - 64, Math.max(PART_BYTES, (expectedBytes + MAX_PARTS - 1) / MAX_PARTS));
        byte[] first = content.readNBytes(partBytes);
        try {
            if (first.length < partBytes) {
                s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(first));
                return;
            }
            String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
            List<CompletedPart> parts = new ArrayList<>();
            byte[] part = first;
            try {
                while (part.length > 0) {
                    int number = parts.size() + 1;
                    byte[] body = part;
                    String etag = s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(number),
                            RequestBody.fromBytes(body)).eTag();
                    parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
                    part = content.readNBytes(partBytes);
                }
                s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                        .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()));
            } catch (SdkException | IOException e) {
                abortQuietly(key, uploadId); // a killed run leaves it behind instead; the next run's sweep aborts it
                throw e;
            }
        } catch (SdkException e) {
            throw failure("storing " + key, e);
        }
    }

    private void abortQuietly(String key, String uploadId) {
        try {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
        } catch (SdkException ignored) {
            // the sweep of the next run aborts it
        }
    }

    @Override
    public InputStream get(String key) throws IOException {
        try {
            return s3.getObject(b -> b.bucket(bucket).key(key));
        } catch (NoSuchKeyException e) {
            throw new IOException("object " + key + " is missing from " + where);
        } catch (SdkException e) {
            throw failure("reading " + key, e);
        }
    }

    @Override
    public List<StoredObject> list(String prefix) throws IOException {
        try {
            List<StoredObject> objects = new ArrayList<>();
            for (S3Object o : s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build()).contents()) {
                objects.add(new StoredObject(o.key(), o.size()));
            }
            return objects;
        } catch (SdkException e) {
            throw failure("listing " + prefix, e);
        }
    }

    @Override
    public void delete(String key) throws IOException {
        try {
            s3.deleteObject(b -> b.bucket(bucket).key(key));
        } catch (SdkException e) {
            throw failure("deleting " + key, e);
        }
    }

    @Override
    public int abortUnfinishedUploads(String prefix) throws IOException {
        try {
            int n = 0;
            for (MultipartUpload u : s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(prefix)).uploads()) {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(u.key()).uploadId(u.uploadId()));
                n++;
            }
            return n;
        } catch (SdkException e) {
            throw failure("listing unfinished uploads under " + prefix, e);
        }
    }

    private IOException failure(String doing, SdkException e) {
        // the SDK's messages name the request and status, never the secret key
        return new IOException(doing + " in " + where + " failed: " + e.getMessage(), e);
    }

    @Override
    public String describe() {
        return where;
    }

    @Override
    public void close() {
        s3.close();
    }
}
