package io.fortress.springtests.jpa;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** Inner transactions of each propagation; each answers the port of the server it ran on. */
@Service
public class Propagations {
    private final AccountRepository accounts;

    public Propagations(AccountRepository accounts) {
        this.accounts = accounts;
    }

    @Transactional(readOnly = true)
    public int readOnly() {
        return accounts.serverPort();
    }

    @Transactional(propagation = Propagation.REQUIRES_NEW, readOnly = true)
    public int requiresNewReadOnly() {
        return accounts.serverPort();
    }

    @Transactional(propagation = Propagation.REQUIRES_NEW)
    public int requiresNew() {
        return accounts.serverPort();
    }

    @Transactional(propagation = Propagation.NESTED)
    public int nested() {
        return accounts.serverPort();
    }

    @Transactional(propagation = Propagation.SUPPORTS, readOnly = true)
    public int supports() {
        return accounts.serverPort();
    }

    @Transactional(propagation = Propagation.NOT_SUPPORTED)
    public int notSupported() {
        return accounts.serverPort();
    }

    @Transactional(propagation = Propagation.MANDATORY)
    public int mandatory() {
        return accounts.serverPort();
    }

    /** The outer transactions: the port before, the inner call's, and the port after. */
    @Service
    public static class Outer {
        private final AccountRepository accounts;

        public Outer(AccountRepository accounts) {
            this.accounts = accounts;
        }

        @Transactional
        public List<Integer> readWrite(Propagations inner, ToIntFunction<Propagations> call) {
            return around(inner, call);
        }

        @Transactional(readOnly = true)
        public List<Integer> readOnly(Propagations inner, ToIntFunction<Propagations> call) {
            return around(inner, call);
        }

        private List<Integer> around(Propagations inner, ToIntFunction<Propagations> call) {
            List<Integer> ports = new ArrayList<>();
            ports.add(accounts.serverPort());
            ports.add(call.applyAsInt(inner));
            ports.add(accounts.serverPort());
            return ports;
        }
    }
}
