// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IProjectToken} from "./interfaces/IProjectToken.sol";
import {IOffering} from "./interfaces/IOffering.sol";

/// @title Offering
/// @notice Primary sale of one project's token for a stablecoin, with escrow.
///
/// - Verified wallets invest between `startTime` (inclusive) and `endTime` (exclusive); each
///   investment is a contribution with its own id. Per-investor min and max apply to the
///   investor's cumulative (non-cancelled) amount; the total may not pass the hard cap.
///   An amount must buy a whole number of token base units (amount * 1e18 % price == 0).
/// - An investor cancels a contribution within `coolingOff` seconds of making it, as long as
///   the offering is not finalized, and gets the stablecoin back at once.
/// - Anyone finalizes after `endTime`, or earlier once the hard cap is reached. Success
///   (raised >= soft cap): the platform fee goes to the fee recipient, the rest to the project
///   treasury, and all sold tokens are minted to this contract in one go (O(1)). Each investor's
///   tokens are then delivered by `settle(investor)` / `settleBatch(investors)`, callable by
///   anyone; tokens waiting here earn their dividends, handed over on settlement.
///   Failure: every investor pulls `refund()` (or anyone calls `refundFor(investor)`).
/// - No role exists here: nobody can move escrowed funds except through these rules.
contract Offering is Initializable, IOffering {
    using SafeERC20 for IERC20;

    enum Status {
        Active,
        Succeeded,
        Failed
    }

    struct Contribution {
        address investor;
        uint40 time;
        bool cancelled;
        uint128 amount;
    }

    struct Position {
        uint128 invested;
        bool settled;
        bool refunded;
    }

    uint256 private constant TOKEN_UNIT = 1e18;
    uint256 private constant BPS = 10_000;

    IIdentityRegistry public immutable registry;

    // slot 0
    address public token;
    uint40 public startTime;
    uint40 public endTime;
    uint16 public feeBps;
    // slot 1
    address public stablecoin;
    uint32 public coolingOff;
    Status public status;
    uint56 public contributionCount;
    // slot 2, 3
    address public treasury;
    address public feeRecipient;
    // slot 4..6
    uint128 public price;
    uint128 public softCap;
    uint128 public hardCap;
    uint128 public minInvestment;
    uint128 public maxInvestment;
    uint128 public totalRaised;

    mapping(uint256 contributionId => Contribution) private _contributions;
    mapping(address investor => Position) private _positions;

    event Invested(uint256 indexed contributionId, address indexed investor, uint256 amount, uint256 tokens);
    event Cancelled(uint256 indexed contributionId, address indexed investor, uint256 amount);
    event Finalized(bool success, uint256 raised, uint256 fee, uint256 toTreasury, uint256 tokens);
    event TokensSettled(address indexed investor, uint256 tokens);
    event Refunded(address indexed investor, uint256 amount);

    error ZeroAddress();
    error InvalidTerms();
    error ZeroAmount();
    error OfferingNotStarted();
    error OfferingEnded();
    error OfferingFinalized();
    error AmountNotPriceMultiple();
    error UnverifiedInvestor(address investor);
    error BelowMinimum(uint256 invested, uint256 minimum);
    error AboveMaximum(uint256 invested, uint256 maximum);
    error HardCapExceeded(uint256 remaining);
    error NotContributor(uint256 contributionId);
    error AlreadyCancelled(uint256 contributionId);
    error CoolingOffExpired(uint256 contributionId, uint256 deadline);
    error NotFinalizable();
    error NotSucceeded();
    error NotFailed();
    error NothingToSettle(address investor);
    error AlreadySettled(address investor);
    error NothingToRefund(address investor);

    constructor(IIdentityRegistry registry_) {
        if (address(registry_) == address(0)) revert ZeroAddress();
        registry = registry_;
        _disableInitializers();
    }

    function initialize(
        Terms calldata terms,
        address token_,
        address stablecoin_,
        address treasury_,
        address feeRecipient_,
        uint16 feeBps_
    ) external initializer {
        if (
            token_ == address(0) || stablecoin_ == address(0) || treasury_ == address(0)
                || feeRecipient_ == address(0)
        ) revert ZeroAddress();
        if (
            terms.price == 0 || terms.softCap == 0 || terms.softCap > terms.hardCap || terms.maxInvestment == 0
                || terms.minInvestment > terms.maxInvestment || terms.startTime >= terms.endTime || feeBps_ > BPS
        ) revert InvalidTerms();
        token = token_;
        startTime = terms.startTime;
        endTime = terms.endTime;
        feeBps = feeBps_;
        stablecoin = stablecoin_;
        coolingOff = terms.coolingOff;
        treasury = treasury_;
        feeRecipient = feeRecipient_;
        price = terms.price;
        softCap = terms.softCap;
        hardCap = terms.hardCap;
        minInvestment = terms.minInvestment;
        maxInvestment = terms.maxInvestment;
    }

    // ---------------------------------------------------------------- investing

    function invest(uint256 amount) external returns (uint256 contributionId) {
        return _invest(msg.sender, amount);
    }

    /// @notice Approves through EIP-2612 and invests in one transaction. A permit that fails
    /// (e.g. already used by a front-runner) is ignored; the transfer then needs the allowance.
    function investWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        returns (uint256 contributionId)
    {
        try IERC20Permit(stablecoin).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        return _invest(msg.sender, amount);
    }

    function cancel(uint256 contributionId) external {
        Contribution storage c = _contributions[contributionId];
        if (c.investor != msg.sender || msg.sender == address(0)) revert NotContributor(contributionId);
        if (c.cancelled) revert AlreadyCancelled(contributionId);
        if (status != Status.Active) revert OfferingFinalized();
        uint256 deadline = uint256(c.time) + coolingOff;
        if (block.timestamp >= deadline) revert CoolingOffExpired(contributionId, deadline);
        uint128 amount = c.amount;
        c.cancelled = true;
        _positions[msg.sender].invested -= amount;
        totalRaised -= amount;
        IERC20(stablecoin).safeTransfer(msg.sender, amount);
        emit Cancelled(contributionId, msg.sender, amount);
    }

    // ---------------------------------------------------------------- closing

    function finalize() external {
        if (status != Status.Active) revert OfferingFinalized();
        uint256 raised = totalRaised;
        if (block.timestamp < endTime && raised < hardCap) revert NotFinalizable();
        if (raised >= softCap) {
            status = Status.Succeeded;
            uint256 fee = raised * feeBps / BPS;
            uint256 rest = raised - fee;
            uint256 tokens = raised * TOKEN_UNIT / price;
            IERC20 coin = IERC20(stablecoin);
            if (fee != 0) coin.safeTransfer(feeRecipient, fee);
            if (rest != 0) coin.safeTransfer(treasury, rest);
            IProjectToken(token).mint(address(this), tokens);
            emit Finalized(true, raised, fee, rest, tokens);
        } else {
            status = Status.Failed;
            emit Finalized(false, raised, 0, 0, 0);
        }
    }

    /// @notice Delivers `investor`'s tokens (anyone may call). The investor must be verified.
    function settle(address investor) external {
        if (status != Status.Succeeded) revert NotSucceeded();
        Position memory p = _positions[investor];
        if (p.invested == 0) revert NothingToSettle(investor);
        if (p.settled) revert AlreadySettled(investor);
        _settle(investor, p.invested);
    }

    /// @notice Settles many investors; skips those with nothing to settle or already settled.
    function settleBatch(address[] calldata investors) external returns (uint256 settled) {
        if (status != Status.Succeeded) revert NotSucceeded();
        for (uint256 i; i < investors.length; ++i) {
            Position memory p = _positions[investors[i]];
            if (p.invested == 0 || p.settled) continue;
            _settle(investors[i], p.invested);
            ++settled;
        }
    }

    function refund() external {
        _refund(msg.sender);
    }

    /// @notice Pays `investor`'s refund to `investor` (anyone may call).
    function refundFor(address investor) external {
        _refund(investor);
    }

    // ---------------------------------------------------------------- views

    function tokensFor(uint256 amount) public view returns (uint256) {
        return amount * TOKEN_UNIT / price;
    }

    function investedOf(address investor) external view returns (uint256) {
        return _positions[investor].invested;
    }

    function positionOf(address investor) external view returns (uint256 invested, bool settled, bool refunded) {
        Position memory p = _positions[investor];
        return (p.invested, p.settled, p.refunded);
    }

    function contribution(uint256 contributionId)
        external
        view
        returns (address investor, uint256 amount, uint256 time, bool cancelled)
    {
        Contribution memory c = _contributions[contributionId];
        return (c.investor, c.amount, c.time, c.cancelled);
    }

    function tokensSold() external view returns (uint256) {
        return tokensFor(totalRaised);
    }

    function canFinalize() external view returns (bool) {
        return status == Status.Active && (block.timestamp >= endTime || totalRaised >= hardCap);
    }

    function isOpen() external view returns (bool) {
        return status == Status.Active && block.timestamp >= startTime && block.timestamp < endTime
            && totalRaised < hardCap;
    }

    // ---------------------------------------------------------------- internal

    function _invest(address investor, uint256 amount) private returns (uint256 id) {
        if (status != Status.Active) revert OfferingFinalized();
        if (block.timestamp < startTime) revert OfferingNotStarted();
        if (block.timestamp >= endTime) revert OfferingEnded();
        if (amount == 0) revert ZeroAmount();
        uint256 price_ = price;
        if (mulmod(amount, TOKEN_UNIT, price_) != 0) revert AmountNotPriceMultiple();
        if (!registry.isVerified(investor)) revert UnverifiedInvestor(investor);
        Position storage p = _positions[investor];
        uint256 invested = uint256(p.invested) + amount;
        if (invested < minInvestment) revert BelowMinimum(invested, minInvestment);
        if (invested > maxInvestment) revert AboveMaximum(invested, maxInvestment);
        uint256 raised = totalRaised;
        uint256 cap = hardCap;
        if (raised + amount > cap) revert HardCapExceeded(cap - raised);

        p.invested = uint128(invested);
        totalRaised = uint128(raised + amount);
        id = ++contributionCount;
        _contributions[id] =
            Contribution({investor: investor, time: uint40(block.timestamp), cancelled: false, amount: uint128(amount)});
        IERC20(stablecoin).safeTransferFrom(investor, address(this), amount);
        emit Invested(id, investor, amount, amount * TOKEN_UNIT / price_);
    }

    function _settle(address investor, uint256 invested) private {
        _positions[investor].settled = true;
        uint256 tokens = invested * TOKEN_UNIT / price;
        IERC20(token).safeTransfer(investor, tokens);
        emit TokensSettled(investor, tokens);
    }

    function _refund(address investor) private {
        if (status != Status.Failed) revert NotFailed();
        Position storage p = _positions[investor];
        uint256 amount = p.invested;
        if (amount == 0 || p.refunded) revert NothingToRefund(investor);
        p.refunded = true;
        IERC20(stablecoin).safeTransfer(investor, amount);
        emit Refunded(investor, amount);
    }
}
