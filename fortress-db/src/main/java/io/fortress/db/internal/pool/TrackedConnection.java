package io.fortress.db.internal.pool;

import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.ShardingKey;
import java.sql.Statement;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;

/**
 * A pooled physical connection that reports, when it closes, how old it was and how long it had been
 * back in the pool, so that retirements can be attributed to idleness or lifetime. HikariCP calls
 * {@link #clearWarnings()} on every return to the pool, which marks the start of idleness (pinned by
 * HikariPoolAdapterTest). Everything
 * else is plain delegation (written out: a reflective proxy cost several percent of a point read).
 */
final class TrackedConnection implements Connection {
    /** Told once, when the connection closes, its age and idle time. */
    interface CloseListener {
        void closed(TrackedConnection connection, long ageNanos, long idleNanos);
    }

    private final Connection physical;
    private final CloseListener listener;
    private final boolean behindPooler;
    private final long created = System.nanoTime();
    private volatile long returned = created;
    private final java.util.concurrent.atomic.AtomicBoolean reported = new java.util.concurrent.atomic.AtomicBoolean();

    /** {@code behindPooler}: the connection is a PgBouncer's (DB_POOLER), whose sessions must not be changed. */
    TrackedConnection(Connection physical, CloseListener listener, boolean behindPooler) {
        this.physical = physical;
        this.listener = listener;
        this.behindPooler = behindPooler;
    }

    /** pgjdbc changes the session for these; behind a pooler that session is lent to other clients next. */
    private void refuseSessionChange(String call, String instead) throws SQLException {
        if (behindPooler) {
            // no SQLSTATE: HikariCP takes 0A000 for a broken connection and closes it
            throw new java.sql.SQLFeatureNotSupportedException(call + " changes the session, which PgBouncer in transaction pooling "
                    + "(DB_POOLER) lends to other clients after each transaction; " + instead);
        }
    }

    /** When the connection was last returned to the pool (System.nanoTime), or created. */
    long returnedAtNanos() {
        return returned;
    }

    @Override
    public void clearWarnings() throws SQLException {
        returned = System.nanoTime();
        physical.clearWarnings();
    }

    @Override
    public void close() throws SQLException {
        if (reported.compareAndSet(false, true)) { // an aborted connection is closed already, and reported here too
            long now = System.nanoTime();
            listener.closed(this, now - created, now - returned);
        }
        physical.close();
    }

    @Override
    public void abort(Executor a0) throws SQLException {
        physical.abort(a0);
    }

    @Override
    public void beginRequest() throws SQLException {
        physical.beginRequest();
    }

    @Override
    public void commit() throws SQLException {
        physical.commit();
    }

    @Override
    public Array createArrayOf(String a0, Object[] a1) throws SQLException {
        return physical.createArrayOf(a0, a1);
    }

    @Override
    public Blob createBlob() throws SQLException {
        return physical.createBlob();
    }

    @Override
    public Clob createClob() throws SQLException {
        return physical.createClob();
    }

    @Override
    public NClob createNClob() throws SQLException {
        return physical.createNClob();
    }

    @Override
    public SQLXML createSQLXML() throws SQLException {
        return physical.createSQLXML();
    }

    @Override
    public Statement createStatement() throws SQLException {
        return physical.createStatement();
    }

    @Override
    public Statement createStatement(int a0, int a1, int a2) throws SQLException {
        return physical.createStatement(a0, a1, a2);
    }

    @Override
    public Statement createStatement(int a0, int a1) throws SQLException {
        return physical.createStatement(a0, a1);
    }

    @Override
    public Struct createStruct(String a0, Object[] a1) throws SQLException {
        return physical.createStruct(a0, a1);
    }

    @Override
    public void endRequest() throws SQLException {
        physical.endRequest();
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        return physical.getAutoCommit();
    }

    @Override
    public String getCatalog() throws SQLException {
        return physical.getCatalog();
    }

    @Override
    public Properties getClientInfo() throws SQLException {
        return physical.getClientInfo();
    }

    @Override
    public String getClientInfo(String a0) throws SQLException {
        return physical.getClientInfo(a0);
    }

    @Override
    public int getHoldability() throws SQLException {
        return physical.getHoldability();
    }

    @Override
    public DatabaseMetaData getMetaData() throws SQLException {
        return physical.getMetaData();
    }

    @Override
    public int getNetworkTimeout() throws SQLException {
        return physical.getNetworkTimeout();
    }

    @Override
    public String getSchema() throws SQLException {
        return physical.getSchema();
    }

    @Override
    public int getTransactionIsolation() throws SQLException {
        return physical.getTransactionIsolation();
    }

    @Override
    public Map<String, Class<?>> getTypeMap() throws SQLException {
        return physical.getTypeMap();
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        return physical.getWarnings();
    }

    @Override
    public boolean isClosed() throws SQLException {
        return physical.isClosed();
    }

    @Override
    public boolean isReadOnly() throws SQLException {
        return physical.isReadOnly();
    }

    @Override
    public boolean isValid(int a0) throws SQLException {
        return physical.isValid(a0);
    }

    @Override
    public boolean isWrapperFor(Class<?> a0) throws SQLException {
        return physical.isWrapperFor(a0);
    }

    @Override
    public String nativeSQL(String a0) throws SQLException {
        return physical.nativeSQL(a0);
    }

    @Override
    public CallableStatement prepareCall(String a0, int a1, int a2, int a3) throws SQLException {
        return physical.prepareCall(a0, a1, a2, a3);
    }

    @Override
    public CallableStatement prepareCall(String a0, int a1, int a2) throws SQLException {
        return physical.prepareCall(a0, a1, a2);
    }

    @Override
    public CallableStatement prepareCall(String a0) throws SQLException {
        return physical.prepareCall(a0);
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int[] a1) throws SQLException {
        return physical.prepareStatement(a0, a1);
    }

    @Override
    public PreparedStatement prepareStatement(String a0, String[] a1) throws SQLException {
        return physical.prepareStatement(a0, a1);
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int a1, int a2, int a3) throws SQLException {
        return physical.prepareStatement(a0, a1, a2, a3);
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int a1, int a2) throws SQLException {
        return physical.prepareStatement(a0, a1, a2);
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int a1) throws SQLException {
        return physical.prepareStatement(a0, a1);
    }

    @Override
    public PreparedStatement prepareStatement(String a0) throws SQLException {
        return physical.prepareStatement(a0);
    }

    @Override
    public void releaseSavepoint(Savepoint a0) throws SQLException {
        physical.releaseSavepoint(a0);
    }

    @Override
    public void rollback() throws SQLException {
        physical.rollback();
    }

    @Override
    public void rollback(Savepoint a0) throws SQLException {
        physical.rollback(a0);
    }

    @Override
    public void setAutoCommit(boolean a0) throws SQLException {
        physical.setAutoCommit(a0);
    }

    @Override
    public void setCatalog(String a0) throws SQLException {
        physical.setCatalog(a0);
    }

    @Override
    public void setClientInfo(String a0, String a1) throws SQLClientInfoException {
        physical.setClientInfo(a0, a1);
    }

    @Override
    public void setClientInfo(Properties a0) throws SQLClientInfoException {
        physical.setClientInfo(a0);
    }

    @Override
    public void setHoldability(int a0) throws SQLException {
        physical.setHoldability(a0);
    }

    @Override
    public void setNetworkTimeout(Executor a0, int a1) throws SQLException {
        physical.setNetworkTimeout(a0, a1);
    }

    @Override
    public void setReadOnly(boolean a0) throws SQLException {
        physical.setReadOnly(a0);
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
        return physical.setSavepoint();
    }

    @Override
    public Savepoint setSavepoint(String a0) throws SQLException {
        return physical.setSavepoint(a0);
    }

    @Override
    public void setSchema(String a0) throws SQLException {
        refuseSessionChange("setSchema", "qualify names, or run SET LOCAL search_path as a transaction's first statement");
        physical.setSchema(a0);
    }

    @Override
    public void setShardingKey(ShardingKey a0, ShardingKey a1) throws SQLException {
        physical.setShardingKey(a0, a1);
    }

    @Override
    public void setShardingKey(ShardingKey a0) throws SQLException {
        physical.setShardingKey(a0);
    }

    @Override
    public boolean setShardingKeyIfValid(ShardingKey a0, int a1) throws SQLException {
        return physical.setShardingKeyIfValid(a0, a1);
    }

    @Override
    public boolean setShardingKeyIfValid(ShardingKey a0, ShardingKey a1, int a2) throws SQLException {
        return physical.setShardingKeyIfValid(a0, a1, a2);
    }

    @Override
    public void setTransactionIsolation(int a0) throws SQLException {
        refuseSessionChange("setTransactionIsolation", "run SET TRANSACTION ISOLATION LEVEL ... as the transaction's first statement");
        physical.setTransactionIsolation(a0);
    }

    @Override
    public void setTypeMap(Map<String, Class<?>> a0) throws SQLException {
        physical.setTypeMap(a0);
    }

    @Override
    public <T> T unwrap(Class<T> a0) throws SQLException {
        return physical.unwrap(a0);
    }
}
