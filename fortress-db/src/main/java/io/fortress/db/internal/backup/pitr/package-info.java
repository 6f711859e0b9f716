/**
 * Point-in-time recovery with pgBackRest: physical base backups and continuous WAL archiving, restorable
 * to any moment the archive covers.
 *
 * <p>{@link io.fortress.db.internal.backup.pitr.PgBackRestSettings} models the configuration (stanza,
 * servers, a local repository and an optional S3 one, encryption) and checks it;
 * {@link io.fortress.db.internal.backup.pitr.PgBackRestConfigFile} writes it as a 0600 pgbackrest.conf,
 * the only place the repository keys go (never the arguments, logs or exception texts).
 * {@link io.fortress.db.internal.backup.pitr.PgBackRest} runs the program as the OS user owning the data
 * directory. {@link io.fortress.db.internal.backup.pitr.ArchivingSetup} turns archiving on in an order
 * that cannot get stuck; {@link io.fortress.db.internal.backup.pitr.PitrEngine} takes, lists, verifies
 * and expires base backups and restores into a new data directory started as a separate server
 * ({@link io.fortress.db.internal.backup.pitr.RestoredServer}); {@link io.fortress.db.internal.backup.pitr.ArchiveMonitor}
 * reads {@code pg_stat_archiver} (the live recovery point objective).
 *
 * <p>Not API: the backup facade ({@code io.fortress.db.backup}) is what users call.
 */
package io.fortress.db.internal.backup.pitr;
