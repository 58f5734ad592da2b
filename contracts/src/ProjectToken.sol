// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {NoncesUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/NoncesUpgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC5805} from "@openzeppelin/contracts/interfaces/IERC5805.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IProjectToken} from "./interfaces/IProjectToken.sol";

/// @title ProjectToken
/// @notice The security token of one project: ERC-20 + EIP-2612 permit + ERC-5805 votes on a
/// timestamp clock, with identity-registry compliance and magnified-dividend bookkeeping done
/// inside the transfer itself (no external call besides the registry check).
///
/// Storage is packed for gas (see contracts/README.md):
///  - Account  (1 slot): balance uint88 | votes uint88 | votes timestamp uint32 | history length uint24
///                       | distribution index cache uint16 | flags uint8
///  - Dividend (1 slot): distribution index uint16 | accrued uint112 | claimed uint120 | live uint8
///    (read only when the Account's cached index is behind the latest distribution)
///    (created on an investor's first receipt, so a first claim does not pay for a new slot)
///  - vote history: 2 records (uint32 timestamp, uint96 votes) per slot, append only
/// A holder's current votes live in its Account slot; the previous values are in the history.
///  - distributions: per distribution, cumulative magnified dividend per token (uint128, 2^96
///    magnitude) | cumulative amount distributed (uint128), in one slot
/// Max supply 2^88-1 base units (309,485,009 tokens); timestamps uint32 (year 2106); at most
/// 65,535 distributions.
///
/// Special accounts (set at initialization):
///  - CUSTODIAN (the offering): holds sold-but-unsettled tokens without an identity, earns their
///    dividends and hands them over pro rata when it transfers the tokens to a buyer.
///  - EXEMPT (the project timelock): may hold tokens without an identity, is excluded from the
///    dividend supply (earns nothing, so nothing is stranded) and is never auto-delegated.
/// Every other account must be verified in the IdentityRegistry to send or receive.
contract ProjectToken is
    Initializable,
    EIP712Upgradeable,
    NoncesUpgradeable,
    IERC20Metadata,
    IERC20Permit,
    IERC20Errors,
    IERC5805,
    IProjectToken
{
    using Checkpoints for Checkpoints.Trace208;

    uint256 private constant MAGNITUDE = 2 ** 96;

    uint8 private constant F_EXEMPT = 0x01;
    uint8 private constant F_CUSTODIAN = 0x02;
    uint8 private constant F_SPECIAL = F_EXEMPT | F_CUSTODIAN;
    uint8 private constant D_MASK = 0x0C;
    uint8 private constant D_NONE = 0x00; // never delegated: auto self-delegation on first receipt
    uint8 private constant D_SELF = 0x04;
    uint8 private constant D_OTHER = 0x08; // delegatee in `delegatees`
    uint8 private constant D_CLEARED = 0x0C; // explicitly delegated to address(0)
    uint8 private constant F_DIVIDEND_LIVE = 0x10; // the Dividend slot has been written (non-zero)

    bytes32 private constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
    bytes32 private constant DELEGATION_TYPEHASH =
        keccak256("Delegation(address delegatee,uint256 nonce,uint256 expiry)");

    struct Account {
        uint88 balance;
        uint88 votes;
        uint32 votesTs;
        uint24 historyLength;
        uint16 distIndex;
        uint8 flags;
    }

    struct Dividend {
        uint16 index;
        uint112 accrued;
        uint120 claimed;
        uint8 live; // always 1 once written, so later writes are non-zero to non-zero
    }

    struct Global {
        uint88 totalSupply;
        uint88 excludedSupply;
        uint16 distributionCount;
        bool paused;
    }

    /// @custom:storage-location erc7201:partisipro.storage.ProjectToken
    struct TokenStorage {
        Global g;
        mapping(address => Account) accounts;
        mapping(address => Dividend) dividends;
        mapping(address => address) delegatees;
        mapping(address => mapping(uint256 => uint256)) history;
        mapping(address => mapping(address => uint256)) allowances;
        mapping(uint256 => uint256) distributions; // (cumulative amount << 128) | cumulative magnified per token
        Checkpoints.Trace208 supplyCheckpoints;
        address offering;
        address treasury;
        string name;
        string symbol;
    }

    // keccak256(abi.encode(uint256(keccak256("partisipro.storage.ProjectToken")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x539f62b770df238e3d1b4af46fb31e009b73335c1b6b272f5846e9a9a5b36900;

    /// @notice The platform's identity registry (one per platform, so an implementation constant).
    IIdentityRegistry public immutable registry;

    event Paused(address indexed agent);
    event Unpaused(address indexed agent);
    event ForcedTransfer(address indexed agent, address indexed from, address indexed to, uint256 amount);
    event WalletRecovered(
        address indexed lostWallet, address indexed newWallet, uint256 amount, uint256 dividendsMoved
    );

    error ZeroAddress();
    error NotAgent(address caller);
    error NotOffering(address caller);
    error NotTreasury(address caller);
    error TokenPaused();
    error TokenNotPaused();
    error UnverifiedWallet(address wallet);
    error FrozenWallet(address wallet);
    error SupplyOverflow();
    error NoEligibleSupply();
    error TooManyDistributions();
    error DistributionTooLarge();
    error InvalidRecovery();
    error ERC2612ExpiredSignature(uint256 deadline);
    error ERC2612InvalidSigner(address signer, address owner);
    error ERC5805FutureLookup(uint256 timepoint, uint48 clock);

    constructor(IIdentityRegistry registry_) {
        if (address(registry_) == address(0)) revert ZeroAddress();
        registry = registry_;
        _disableInitializers();
    }

    /// @param exempt accounts that may hold tokens without an identity and earn no dividends
    /// (the project timelock).
    function initialize(
        string calldata name_,
        string calldata symbol_,
        address offering_,
        address treasury_,
        address[] calldata exempt
    ) external initializer {
        if (offering_ == address(0) || treasury_ == address(0)) revert ZeroAddress();
        __EIP712_init(name_, "1");
        TokenStorage storage $ = _s();
        $.name = name_;
        $.symbol = symbol_;
        $.offering = offering_;
        $.treasury = treasury_;
        $.accounts[offering_].flags = F_CUSTODIAN;
        for (uint256 i; i < exempt.length; ++i) {
            if (exempt[i] == address(0)) revert ZeroAddress();
            $.accounts[exempt[i]].flags = F_EXEMPT;
        }
    }

    // ================================================================ ERC-20

    function name() external view returns (string memory) {
        return _s().name;
    }

    function symbol() external view returns (string memory) {
        return _s().symbol;
    }

    function decimals() external pure returns (uint8) {
        return 18;
    }

    function totalSupply() external view returns (uint256) {
        return _s().g.totalSupply;
    }

    function balanceOf(address account) external view returns (uint256) {
        return _s().accounts[account].balance;
    }

    function allowance(address owner, address spender) external view returns (uint256) {
        return _s().allowances[owner][spender];
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        _approve(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        TokenStorage storage $ = _s();
        uint256 current = $.allowances[from][msg.sender];
        if (current != type(uint256).max) {
            if (current < value) revert ERC20InsufficientAllowance(msg.sender, current, value);
            unchecked {
                $.allowances[from][msg.sender] = current - value;
            }
        }
        _transfer(from, to, value);
        return true;
    }

    // ================================================================ EIP-2612

    function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
    {
        if (block.timestamp > deadline) revert ERC2612ExpiredSignature(deadline);
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, _useNonce(owner), deadline));
        address signer = ECDSA.recover(_hashTypedDataV4(structHash), v, r, s);
        if (signer != owner) revert ERC2612InvalidSigner(signer, owner);
        _approve(owner, spender, value);
    }

    function nonces(address owner) public view override(IERC20Permit, NoncesUpgradeable) returns (uint256) {
        return super.nonces(owner);
    }

    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ================================================================ ERC-5805 votes

    function clock() public view returns (uint48) {
        return uint48(block.timestamp);
    }

    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() external pure returns (string memory) {
        return "mode=timestamp";
    }

    function getVotes(address account) external view returns (uint256) {
        return _s().accounts[account].votes;
    }

    function getPastVotes(address account, uint256 timepoint) external view returns (uint256) {
        uint48 now_ = clock();
        if (timepoint >= now_) revert ERC5805FutureLookup(timepoint, now_);
        TokenStorage storage $ = _s();
        Account memory a = $.accounts[account];
        if (timepoint >= a.votesTs) return a.votes;
        mapping(uint256 => uint256) storage hist = $.history[account];
        uint256 lo;
        uint256 hi = a.historyLength;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            if (uint32(_record(hist, mid)) <= timepoint) lo = mid + 1;
            else hi = mid;
        }
        return lo == 0 ? 0 : uint96(_record(hist, lo - 1) >> 32);
    }

    function getPastTotalSupply(uint256 timepoint) external view returns (uint256) {
        uint48 now_ = clock();
        if (timepoint >= now_) revert ERC5805FutureLookup(timepoint, now_);
        return _s().supplyCheckpoints.upperLookupRecent(uint48(timepoint));
    }

    function delegates(address account) public view returns (address) {
        TokenStorage storage $ = _s();
        return _delegateOf($, account, $.accounts[account].flags);
    }

    function delegate(address delegatee) external {
        _delegate(msg.sender, delegatee);
    }

    function delegateBySig(address delegatee, uint256 nonce, uint256 expiry, uint8 v, bytes32 r, bytes32 s)
        external
    {
        if (block.timestamp > expiry) revert VotesExpiredSignature(expiry);
        address signer = ECDSA.recover(
            _hashTypedDataV4(keccak256(abi.encode(DELEGATION_TYPEHASH, delegatee, nonce, expiry))), v, r, s
        );
        _useCheckedNonce(signer, nonce);
        _delegate(signer, delegatee);
    }

    // ================================================================ offering / agent

    /// @inheritdoc IProjectToken
    function mint(address to, uint256 amount) external {
        if (msg.sender != _s().offering) revert NotOffering(msg.sender);
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        _update(address(0), to, amount, false);
    }

    function pause() external onlyAgent {
        Global storage g = _s().g;
        if (g.paused) revert TokenPaused();
        g.paused = true;
        emit Paused(msg.sender);
    }

    function unpause() external onlyAgent {
        Global storage g = _s().g;
        if (!g.paused) revert TokenNotPaused();
        g.paused = false;
        emit Unpaused(msg.sender);
    }

    /// @notice Agent moves tokens regardless of pause and of the sender's status; the receiver
    /// must still be verified (or a special account).
    function forcedTransfer(address from, address to, uint256 amount) external onlyAgent {
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        _update(from, to, amount, true);
        emit ForcedTransfer(msg.sender, from, to, amount);
    }

    /// @notice Agent burns tokens (e.g. redemption at the end of the concession).
    function burn(address from, uint256 amount) external onlyAgent {
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        _update(from, address(0), amount, true);
    }

    /// @notice Moves a lost wallet's whole balance, its delegation choice and its dividend
    /// standing (unclaimed and claimed) to `newWallet`, which must be verified.
    function recoverWallet(address lostWallet, address newWallet) external onlyAgent {
        if (lostWallet == address(0) || newWallet == address(0)) revert ZeroAddress();
        TokenStorage storage $ = _s();
        Account memory lost = $.accounts[lostWallet];
        uint8 newFlags = $.accounts[newWallet].flags;
        if (lostWallet == newWallet || (lost.flags | newFlags) & F_SPECIAL != 0) revert InvalidRecovery();
        // carry the delegation choice first, so the votes follow it
        if (newFlags & D_MASK == D_NONE) {
            uint8 choice = lost.flags & D_MASK;
            if (choice == D_NONE) choice = D_SELF;
            if (choice == D_OTHER) $.delegatees[newWallet] = $.delegatees[lostWallet];
            $.accounts[newWallet].flags = newFlags | choice;
            emit DelegateChanged(newWallet, address(0), _delegateOf($, newWallet, newFlags | choice));
        }
        uint256 amount = lost.balance;
        _update(lostWallet, newWallet, amount, true); // also accrues both dividend accounts
        Dividend memory from = $.dividends[lostWallet];
        Dividend memory to = $.dividends[newWallet];
        to.accrued += from.accrued;
        to.claimed += from.claimed;
        $.dividends[newWallet] = to;
        to.live = 1;
        $.dividends[lostWallet] = Dividend({index: from.index, accrued: 0, claimed: 0, live: 1});
        emit WalletRecovered(lostWallet, newWallet, amount, from.accrued);
    }

    // ================================================================ treasury hooks

    /// @inheritdoc IProjectToken
    function recordDistribution(uint256 amount) external returns (uint256 index) {
        TokenStorage storage $ = _s();
        if (msg.sender != $.treasury) revert NotTreasury(msg.sender);
        Global memory g = $.g;
        uint256 eligible = uint256(g.totalSupply) - g.excludedSupply;
        if (eligible == 0) revert NoEligibleSupply();
        index = uint256(g.distributionCount) + 1;
        if (index > type(uint16).max) revert TooManyDistributions();
        uint256 prev = $.distributions[index - 1];
        uint256 mag = uint128(prev) + Math.mulDiv(amount, MAGNITUDE, eligible);
        uint256 total = (prev >> 128) + amount;
        if (mag > type(uint128).max || total > type(uint128).max) revert DistributionTooLarge();
        $.distributions[index] = mag | (total << 128);
        $.g.distributionCount = uint16(index);
    }

    /// @inheritdoc IProjectToken
    function takeDividends(address account) external returns (uint256 amount) {
        TokenStorage storage $ = _s();
        if (msg.sender != $.treasury) revert NotTreasury(msg.sender);
        Account memory a = $.accounts[account];
        if (a.flags & F_EXEMPT != 0) return 0;
        Dividend memory d = _accrued($, a.balance, $.dividends[account], $.g.distributionCount);
        amount = d.accrued;
        d.claimed = SafeCast.toUint120(uint256(d.claimed) + amount);
        d.accrued = 0;
        d.live = 1;
        $.dividends[account] = d;
    }

    // ================================================================ views

    /// @inheritdoc IProjectToken
    function dividendOf(address account) external view returns (uint256) {
        TokenStorage storage $ = _s();
        Account memory a = $.accounts[account];
        if (a.flags & F_EXEMPT != 0) return 0;
        return _accrued($, a.balance, $.dividends[account], $.g.distributionCount).accrued;
    }

    /// @inheritdoc IProjectToken
    function claimedDividendsOf(address account) external view returns (uint256) {
        return _s().dividends[account].claimed;
    }

    function distributionCount() external view returns (uint256) {
        return _s().g.distributionCount;
    }

    /// @notice Cumulative dividend per token base unit, magnified by 2^96.
    function magnifiedDividendPerShare() external view returns (uint256) {
        TokenStorage storage $ = _s();
        return uint128($.distributions[$.g.distributionCount]);
    }

    /// @notice Sum of all amounts recorded by distributions.
    function totalDistributed() external view returns (uint256) {
        TokenStorage storage $ = _s();
        return $.distributions[$.g.distributionCount] >> 128;
    }

    /// @notice Supply that earns dividends: total supply minus what EXEMPT accounts hold.
    function eligibleSupply() external view returns (uint256) {
        Global memory g = _s().g;
        return uint256(g.totalSupply) - g.excludedSupply;
    }

    function paused() external view returns (bool) {
        return _s().g.paused;
    }

    function offering() external view returns (address) {
        return _s().offering;
    }

    function treasury() external view returns (address) {
        return _s().treasury;
    }

    function isExempt(address account) external view returns (bool) {
        return _s().accounts[account].flags & F_EXEMPT != 0;
    }

    function isCustodian(address account) external view returns (bool) {
        return _s().accounts[account].flags & F_CUSTODIAN != 0;
    }

    function numCheckpoints(address account) external view returns (uint256) {
        Account memory a = _s().accounts[account];
        return uint256(a.historyLength) + (a.votesTs == 0 ? 0 : 1);
    }

    // ================================================================ internals

    modifier onlyAgent() {
        if (!registry.isAgent(msg.sender)) revert NotAgent(msg.sender);
        _;
    }

    function _s() private pure returns (TokenStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    function _approve(address owner, address spender, uint256 value) private {
        if (owner == address(0)) revert ERC20InvalidApprover(address(0));
        if (spender == address(0)) revert ERC20InvalidSpender(address(0));
        _s().allowances[owner][spender] = value;
        emit Approval(owner, spender, value);
    }

    function _transfer(address from, address to, uint256 value) private {
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        _update(from, to, value, false);
    }

    function _delegateOf(TokenStorage storage $, address account, uint8 flags) private view returns (address) {
        uint8 d = flags & D_MASK;
        if (d == D_SELF) return account;
        if (d == D_OTHER) return $.delegatees[account];
        return address(0);
    }

    /// @dev Reverts unless every party that needs an identity has a valid one.
    function _checkCompliance(address from, address to, bool checkFrom, bool checkTo) private view {
        if (checkFrom && checkTo) {
            if (registry.areVerified(from, to)) return;
        } else if (checkFrom) {
            if (registry.isVerified(from)) return;
        } else if (checkTo) {
            if (registry.isVerified(to)) return;
        } else {
            return;
        }
        // failure path only: name the offending wallet
        if (checkFrom && !registry.isVerified(from)) _revertUnverified(from);
        _revertUnverified(to);
    }

    function _revertUnverified(address wallet) private view {
        (bool ok, bytes memory ret) =
            address(registry).staticcall(abi.encodeWithSignature("isFrozen(address)", wallet));
        if (ok && ret.length >= 32 && abi.decode(ret, (bool))) revert FrozenWallet(wallet);
        revert UnverifiedWallet(wallet);
    }

    function _accrued(TokenStorage storage $, uint256 balance, Dividend memory d, uint16 current)
        private
        view
        returns (Dividend memory)
    {
        if (d.index != current) {
            if (balance != 0) {
                uint256 delta = uint128($.distributions[current]) - uint128($.distributions[d.index]);
                d.accrued = SafeCast.toUint112(uint256(d.accrued) + Math.mulDiv(balance, delta, MAGNITUDE));
            }
            d.index = current;
        }
        d.live = 1;
        return d;
    }

    /// @dev The one place balances move: compliance, pause, dividends, supply, delegation, votes.
    function _update(address from, address to, uint256 value, bool forced) private {
        TokenStorage storage $ = _s();
        Global memory g = $.g;
        if (g.paused && !forced) revert TokenPaused();

        Account memory af;
        Account memory at;
        if (from != address(0)) af = $.accounts[from];
        if (to != address(0)) at = $.accounts[to];

        _checkCompliance(
            from, to, from != address(0) && !forced && af.flags & F_SPECIAL == 0, to != address(0) && at.flags & F_SPECIAL == 0
        );

        if (from != address(0) && af.balance < value) revert ERC20InsufficientBalance(from, af.balance, value);
        if (from == to) {
            emit Transfer(from, to, value);
            return;
        }

        bool globalDirty;
        // ---- dividends: bring both parties up to the latest distribution before balances move
        _updateDividends($, from, to, af, at, value, g.distributionCount);

        // ---- balances and supply
        if (from == address(0)) {
            uint256 supply = uint256(g.totalSupply) + value;
            if (supply > type(uint88).max) revert SupplyOverflow();
            g.totalSupply = uint88(supply);
            $.supplyCheckpoints.push(clock(), uint208(supply));
            globalDirty = true;
        } else {
            unchecked {
                af.balance -= uint88(value);
            }
            if (af.flags & F_EXEMPT != 0) {
                g.excludedSupply -= uint88(value);
                globalDirty = true;
            }
        }
        if (to == address(0)) {
            unchecked {
                g.totalSupply -= uint88(value);
            }
            $.supplyCheckpoints.push(clock(), g.totalSupply);
            globalDirty = true;
        } else {
            unchecked {
                at.balance += uint88(value); // bounded by the total supply
            }
            if (at.flags & F_EXEMPT != 0) {
                g.excludedSupply += uint88(value);
                globalDirty = true;
            }
            // auto self-delegation of an investor on first receipt
            if (at.flags & (D_MASK | F_SPECIAL) == D_NONE) {
                at.flags |= D_SELF;
                emit DelegateChanged(to, address(0), to);
            }
        }
        if (globalDirty) $.g = g;

        // ---- votes
        address dFrom = from == address(0) ? address(0) : _delegateOf($, from, af.flags);
        address dTo = to == address(0) ? address(0) : _delegateOf($, to, at.flags);
        if (dFrom != dTo && value != 0) {
            if (dFrom == from) _writeVotes($, from, af, af.votes - value);
            else if (dFrom == to) _writeVotes($, to, at, at.votes - value);
            else if (dFrom != address(0)) _changeStoredVotes($, dFrom, value, false);

            if (dTo == to) _writeVotes($, to, at, at.votes + value);
            else if (dTo == from) _writeVotes($, from, af, af.votes + value);
            else if (dTo != address(0)) _changeStoredVotes($, dTo, value, true);
        }

        if (from != address(0)) $.accounts[from] = af;
        if (to != address(0)) $.accounts[to] = at;
        emit Transfer(from, to, value);
    }

    /// @dev The Account slot caches the distribution index, so the Dividend slot is read only
    /// when it is behind (or to create a receiver's Dividend slot on its first receipt).
    /// Updates `af` / `at` in memory; the caller stores them.
    function _updateDividends(
        TokenStorage storage $,
        address from,
        address to,
        Account memory af,
        Account memory at,
        uint256 value,
        uint16 cur
    ) private {
        bool carry = af.flags & F_CUSTODIAN != 0 && to != address(0) && at.flags & F_EXEMPT == 0 && value != 0;
        bool doFrom = from != address(0) && af.flags & F_EXEMPT == 0 && (af.distIndex != cur || carry);
        bool doTo = to != address(0) && at.flags & F_EXEMPT == 0
            && (at.distIndex != cur || at.flags & F_DIVIDEND_LIVE == 0 || carry);
        if (!doFrom && !doTo) return;
        Dividend memory df;
        Dividend memory dt;
        if (doFrom) {
            df = _accrued($, af.balance, $.dividends[from], cur);
            af.distIndex = cur;
        }
        if (doTo) {
            dt = _accrued($, at.balance, $.dividends[to], cur);
            at.distIndex = cur;
            at.flags |= F_DIVIDEND_LIVE;
        }
        if (carry) {
            // the custodian hands over the dividends earned by the tokens it releases
            uint112 moved = uint112(Math.mulDiv(df.accrued, value, af.balance));
            df.accrued -= moved;
            dt.accrued += moved;
        }
        if (doFrom) $.dividends[from] = df;
        if (doTo) $.dividends[to] = dt;
    }

    function _changeStoredVotes(TokenStorage storage $, address account, uint256 amount, bool add) private {
        Account memory a = $.accounts[account];
        _writeVotes($, account, a, add ? a.votes + amount : a.votes - amount);
        $.accounts[account] = a;
    }

    /// @dev Sets `a.votes` (in memory); pushes the previous value to the history when the
    /// timestamp changes. The caller stores `a`.
    function _writeVotes(TokenStorage storage $, address account, Account memory a, uint256 newVotes) private {
        uint256 old = a.votes;
        uint32 now_ = uint32(block.timestamp);
        if (a.votesTs != now_) {
            if (a.votesTs != 0) {
                uint256 n = a.historyLength;
                uint256 record = uint256(a.votesTs) | (old << 32);
                if (n & 1 == 0) $.history[account][n >> 1] = record;
                else $.history[account][n >> 1] |= record << 128;
                a.historyLength = uint24(n + 1);
            }
            a.votesTs = now_;
        }
        a.votes = SafeCast.toUint88(newVotes);
        emit DelegateVotesChanged(account, old, newVotes);
    }

    function _record(mapping(uint256 => uint256) storage hist, uint256 i) private view returns (uint256) {
        uint256 word = hist[i >> 1];
        return i & 1 == 0 ? word & type(uint128).max : word >> 128;
    }

    function _delegate(address holder, address delegatee) private {
        TokenStorage storage $ = _s();
        Account storage h = $.accounts[holder];
        uint8 flags = h.flags;
        address old = _delegateOf($, holder, flags);
        uint8 choice = delegatee == holder ? D_SELF : delegatee == address(0) ? D_CLEARED : D_OTHER;
        if (choice == D_OTHER) $.delegatees[holder] = delegatee;
        h.flags = (flags & ~D_MASK) | choice;
        emit DelegateChanged(holder, old, delegatee);
        uint256 amount = h.balance;
        if (old != delegatee && amount != 0) {
            if (old != address(0)) _changeStoredVotes($, old, amount, false);
            if (delegatee != address(0)) _changeStoredVotes($, delegatee, amount, true);
        }
    }
}
