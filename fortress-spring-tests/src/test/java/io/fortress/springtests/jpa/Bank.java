package io.fortress.springtests.jpa;

import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** A service as a JPA application writes one: @Transactional methods over repositories and the EntityManager. */
@Service
public class Bank {
    private final AccountRepository accounts;
    private final NoteRepository notes;
    @PersistenceContext
    private EntityManager entityManager;

    public Bank(AccountRepository accounts, NoteRepository notes) {
        this.accounts = accounts;
        this.notes = notes;
    }

    @Transactional
    public Account open(String owner, long balance) {
        Account account = accounts.save(new Account(owner, balance));
        entityManager.flush();
        return account;
    }

    @Transactional
    public Account deposit(long id, long amount) {
        Account account = accounts.findById(id).orElseThrow();
        account.setBalance(account.getBalance() + amount); // dirty checking: flushed on commit
        return account;
    }

    @Transactional
    public Note write(String body) {
        return notes.save(new Note(body));
    }

    /** A sequence id in a read-only transaction: nextval() is a write. */
    @Transactional(readOnly = true)
    public Note writeInReadOnly(String body) {
        return notes.save(new Note(body));
    }

    @Transactional(readOnly = true)
    public int readOnlyPort() {
        return accounts.serverPort();
    }

    /** As {@link #readOnlyPort()}, with a one-second transaction timeout. */
    @Transactional(readOnly = true, timeout = 1)
    public int readOnlyPortWithinASecond() {
        return accounts.serverPort();
    }

    @Transactional
    public int readWritePort() {
        return accounts.serverPort();
    }

    @Transactional(readOnly = true, label = "fortress:strong")
    public int strongPort() {
        return accounts.serverPort();
    }

    @Transactional(readOnly = true, label = "fortress:bounded-staleness=30s")
    public int boundedStalenessPort() {
        return accounts.serverPort();
    }

    /** Strong: the current version, for the optimistic-locking test. */
    @Transactional(readOnly = true, label = "fortress:strong")
    public Account load(long id) {
        return accounts.findById(id).orElseThrow();
    }

    /** Read back with the token of the request (or of the client's earlier request). */
    @Transactional(readOnly = true, label = "fortress:read-your-writes")
    public Optional<Map<String, Object>> find(long id) {
        return accounts.findById(id).map(a -> Map.of("owner", a.getOwner(), "balance", a.getBalance(), "port", accounts.serverPort()));
    }

    /** Without a label: any replica, or, after a write of the same request, one that has replayed it. */
    @Transactional(readOnly = true)
    public Optional<Map<String, Object>> findUnlabelled(long id) {
        return accounts.findById(id).map(a -> Map.of("owner", a.getOwner(), "port", accounts.serverPort()));
    }
}
