"""The ProjectToken's magnified-dividend bookkeeping, replayed in Python over indexed events.

The contract (``ProjectToken._update``/``_accrued``/``recordDistribution``/``takeDividends``)
keeps, per distribution ``i``, the cumulative dividend per token base unit magnified by 2^96
(``mag[i]``), and per account its balance, the distribution index it was last brought up to,
what it has accrued and what it has claimed. Accrual is rounded down per account each time
the account is touched, so the same arithmetic, applied to the same events in log order,
gives the contract's ``dividendOf`` and ``claimedDividendsOf`` exactly (to the base unit).

Special accounts: the offering is the custodian (it earns on sold-but-unsettled tokens and
hands the accrued share over with the tokens it releases); the timelock is exempt (earns
nothing and is left out of the eligible supply).
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAGNITUDE = 2**96
ZERO = "0x0000000000000000000000000000000000000000"


@dataclass
class Account:
    balance: int = 0
    index: int = 0
    accrued: int = 0
    claimed: int = 0


@dataclass
class Ledger:
    custodian: str
    exempt: frozenset[str]
    magnitudes: list[int] = field(default_factory=lambda: [0])  # mag[0] = 0
    total_supply: int = 0
    excluded_supply: int = 0
    accounts: dict[str, Account] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.magnitudes) - 1

    def account(self, wallet: str) -> Account:
        found = self.accounts.get(wallet)
        if found is None:
            found = self.accounts[wallet] = Account(index=self.count if wallet in self.exempt else 0)
        return found

    def _bring_up(self, acct: Account) -> None:
        current = self.count
        if acct.index != current:
            if acct.balance:
                delta = self.magnitudes[current] - self.magnitudes[acct.index]
                acct.accrued += acct.balance * delta // MAGNITUDE
            acct.index = current

    def transfer(self, sender: str, receiver: str, value: int) -> None:
        """``Transfer(from, to, value)``: mint (from zero), burn (to zero) or a move."""
        if sender == receiver and sender != ZERO:
            return
        af = self.account(sender) if sender != ZERO else None
        at = self.account(receiver) if receiver != ZERO else None
        carry = sender == self.custodian and at is not None and receiver not in self.exempt and value != 0
        if af is not None and sender not in self.exempt:
            self._bring_up(af)
        if at is not None and receiver not in self.exempt:
            self._bring_up(at)
        if carry and af is not None and at is not None and af.balance:
            moved = af.accrued * value // af.balance
            af.accrued -= moved
            at.accrued += moved
        if af is None:
            self.total_supply += value
        else:
            af.balance -= value
            if sender in self.exempt:
                self.excluded_supply -= value
        if at is None:
            self.total_supply -= value
        else:
            at.balance += value
            if receiver in self.exempt:
                self.excluded_supply += value

    def distribute(self, amount: int) -> int:
        """``recordDistribution(amount)``: the new cumulative magnified dividend per share."""
        eligible = self.total_supply - self.excluded_supply
        if eligible <= 0:
            raise ValueError("no eligible supply")
        self.magnitudes.append(self.magnitudes[-1] + amount * MAGNITUDE // eligible)
        return self.magnitudes[-1]

    def claim(self, wallet: str) -> int:
        """``takeDividends(wallet)``: what the Claimed event pays."""
        if wallet in self.exempt:
            return 0
        acct = self.account(wallet)
        self._bring_up(acct)
        amount, acct.accrued = acct.accrued, 0
        acct.claimed += amount
        return amount

    def recover(self, lost: str, new: str) -> None:
        """``WalletRecovered``: after the whole-balance transfer, the dividend standing moves too."""
        src, dst = self.account(lost), self.account(new)
        dst.accrued += src.accrued
        dst.claimed += src.claimed
        src.accrued = src.claimed = 0

    def claimable(self, wallet: str) -> int:
        if wallet in self.exempt:
            return 0
        acct = self.accounts.get(wallet)
        if acct is None:
            return 0
        pending = 0
        if acct.index != self.count and acct.balance:
            pending = acct.balance * (self.magnitudes[self.count] - self.magnitudes[acct.index]) // MAGNITUDE
        return acct.accrued + pending

    def claimed(self, wallet: str) -> int:
        acct = self.accounts.get(wallet)
        return acct.claimed if acct else 0
