package io.fortress.springtests.jpa;

import java.util.Map;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class BankController {
    private final Bank bank;
    private final AccountRepository accounts;

    public BankController(Bank bank, AccountRepository accounts) {
        this.bank = bank;
        this.accounts = accounts;
    }

    /** repository.save() with no service transaction around it: the repository's own. */
    @PostMapping("/accounts")
    public Map<String, Object> save(@RequestBody Map<String, String> body) {
        Account saved = accounts.save(new Account(body.get("owner"), 0));
        return Map.of("id", saved.getId());
    }

    @PostMapping("/accounts/service")
    public Map<String, Object> open(@RequestBody Map<String, String> body) {
        return Map.of("id", bank.open(body.get("owner"), 10).getId());
    }

    @GetMapping("/accounts/{id}")
    public ResponseEntity<Map<String, Object>> find(@PathVariable long id) {
        return bank.find(id).map(ResponseEntity::ok).orElseGet(() -> ResponseEntity.notFound().build());
    }

    /** A read-only transaction, then read-write ones, in one request (one EntityManager with open-in-view). */
    @PostMapping("/mixed")
    public Map<String, Object> mixed(@RequestBody Map<String, String> body) {
        int readOnly = bank.readOnlyPort();
        Account account = bank.open(body.get("owner"), 1);
        bank.deposit(account.getId(), 5);
        return Map.of("readOnlyPort", readOnly, "writePort", bank.readWritePort(), "id", account.getId());
    }

    /** A write, then an unlabelled read of it in the same request. */
    @PostMapping("/write-then-read")
    public ResponseEntity<Map<String, Object>> writeThenRead(@RequestBody Map<String, String> body) {
        long id = bank.open(body.get("owner"), 1).getId();
        return bank.findUnlabelled(id).map(ResponseEntity::ok).orElseGet(() -> ResponseEntity.notFound().build());
    }
}
