package io.fortress.db.internal.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManifest;
import io.fortress.db.fuzz.Fuzz;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Attacks the reading of backup manifests, which come from BACKUP_DIR and from remote copies, with
 * mutated manifest JSON: broken syntax, wrong types, huge numbers, deep nesting, missing or null fields,
 * odd times and formats, archive names outside the folder. {@link BackupStore#read} answers within the
 * time bound with a backup or an empty Optional (the manifest is ignored with a note), never an
 * exception; Jackson's own reading fails only with its documented IOException; a manifest taken has
 * every field a backup needs, a start time and a format.
 */
class BackupManifestFuzzTest {
    private static final List<String> CORPUS = Fuzz.corpus("manifest");
    private static final Path DIR = temporaryFolder();
    private static final BackupStore STORE = new BackupStore(DIR);
    private static final String ID = "fortress_20261207_120000";

    private static Path temporaryFolder() {
        try {
            return Files.createTempDirectory("fuzz-manifest");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterContainer
    static void removeFolder() throws IOException {
        try (var files = Files.list(DIR)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(DIR);
    }

    @Provide
    Arbitrary<String> manifests() {
        return Fuzz.mutants(CORPUS, Fuzz.fragments("{", "}", "[", "]", "\"", ":", ",", "null", "true", "0", "-1", "1e309", "1.5",
                "99999999999999999999", "\"\"", "\"../x\"", "\"/etc/passwd\"", "\"directory\"", "\"CORRUPT\"", "\"status\"",
                "\"archive\"", "\"files\"", "\"started_at\"", "\"2026-13-45T99:00:00Z\"", "\\u0000", "\\", "[[[[[[[[", "{\"a\":",
                "\ud800", "\u00e9"));
    }

    @Property
    void readsABackupOrIgnoresTheManifest(@ForAll("manifests") String json) throws Exception {
        check(json);
    }

    @Example
    void corpus() throws Exception {
        for (String json : CORPUS) {
            check(json);
        }
    }

    private static void check(String json) throws Exception {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        try {
            Fuzz.within(json, () -> ManifestJson.read(bytes, "fuzz"));
        } catch (IOException | BackupException refused) {
            // Jackson's documented failure, or a manifest missing what every manifest has
        }
        Path manifest = DIR.resolve(ID + BackupStore.MANIFEST_SUFFIX);
        Files.write(manifest, bytes);
        Path archive = archiveNamedBy(json);
        try {
            Optional<BackupInfo> backup = Fuzz.within(json, () -> STORE.read(manifest));
            backup.ifPresent(b -> {
                BackupManifest m = b.manifest();
                assertThat(m.manifestVersion()).isEqualTo(BackupManifest.VERSION);
                assertThat(List.of(m.id(), m.database(), m.files().archive(), m.lifecycle().status(), m.files().entries(), m.source().startedAt(), m.source().finishedAt()))
                        .doesNotContainNull();
                assertThat(m.started()).isNotNull();
                assertThat(m.backupFormat()).isNotNull();
            });
        } finally {
            Files.delete(manifest);
            if (archive != null) {
                Files.deleteIfExists(archive);
            }
        }
    }

    /** Creates the archive a manifest names when it is a plain name, so that reading goes past the existence check. */
    private static Path archiveNamedBy(String json) {
        try {
            JsonNode name = BackupStore.JSON.readTree(json).path("archive");
            if (name.isTextual() && name.asText().matches("[A-Za-z0-9_.-]{1,100}") && !name.asText().startsWith(".")) {
                Path archive = DIR.resolve(name.asText());
                if (!Files.exists(archive)) {
                    Files.createFile(archive);
                    return archive;
                }
            }
        } catch (IOException | RuntimeException notJson) {
            // no archive then
        }
        return null;
    }
}
