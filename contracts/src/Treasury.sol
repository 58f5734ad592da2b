// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IProjectToken} from "./interfaces/IProjectToken.sol";

/// @title Treasury
/// @notice Holds one project's stablecoin: the reserve (offering proceeds and anything else
/// sent here) and the dividends distributed but not yet claimed.
///
/// - `distribute(amount)`: the distributor (the SPV) deposits profit; O(1) whatever the number
///   of holders (the token keeps the magnified dividend-per-share bookkeeping).
/// - `claim()`: a holder takes what it is owed; `claimFor(account)` pays `account` (anyone).
/// - `release(to, amount)`: only the project timelock (a passed, queued, executed proposal)
///   spends the reserve = balance - (distributed - claimed). Dividends owed are never spendable.
contract Treasury is Initializable {
    using SafeERC20 for IERC20;

    // distribute() reads three slots and writes none here (the token records the amount);
    // claim() reads two and writes one.
    IProjectToken public token;
    IERC20 public stablecoin;
    uint96 public totalClaimed;
    address public distributor;
    address public timelock;

    event Distributed(uint256 indexed index, address indexed distributor, uint256 amount);
    event Claimed(address indexed account, uint256 amount);
    event Released(address indexed to, uint256 amount);
    event DistributorChanged(address indexed previous, address indexed current);

    error ZeroAddress();
    error ZeroAmount();
    error NotDistributor(address caller);
    error NotTimelock(address caller);
    error NothingToClaim(address account);
    error InsufficientReserve(uint256 reserve, uint256 requested);

    constructor() {
        _disableInitializers();
    }

    function initialize(address token_, address stablecoin_, address timelock_, address distributor_)
        external
        initializer
    {
        if (
            token_ == address(0) || stablecoin_ == address(0) || timelock_ == address(0)
                || distributor_ == address(0)
        ) revert ZeroAddress();
        token = IProjectToken(token_);
        stablecoin = IERC20(stablecoin_);
        timelock = timelock_;
        distributor = distributor_;
        emit DistributorChanged(address(0), distributor_);
    }

    function distribute(uint256 amount) external returns (uint256 index) {
        if (msg.sender != distributor) revert NotDistributor(msg.sender);
        if (amount == 0) revert ZeroAmount();
        stablecoin.safeTransferFrom(msg.sender, address(this), amount);
        index = token.recordDistribution(amount);
        emit Distributed(index, msg.sender, amount);
    }

    function claim() external returns (uint256) {
        return _claim(msg.sender);
    }

    function claimFor(address account) external returns (uint256) {
        return _claim(account);
    }

    function release(address to, uint256 amount) external {
        if (msg.sender != timelock) revert NotTimelock(msg.sender);
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        uint256 available = reserve();
        if (amount > available) revert InsufficientReserve(available, amount);
        stablecoin.safeTransfer(to, amount);
        emit Released(to, amount);
    }

    function setDistributor(address newDistributor) external {
        if (msg.sender != timelock) revert NotTimelock(msg.sender);
        if (newDistributor == address(0)) revert ZeroAddress();
        emit DistributorChanged(distributor, newDistributor);
        distributor = newDistributor;
    }

    // ---------------------------------------------------------------- views

    function claimableOf(address account) external view returns (uint256) {
        return token.dividendOf(account);
    }

    function claimedOf(address account) external view returns (uint256) {
        return token.claimedDividendsOf(account);
    }

    /// @notice Sum of every distribution.
    function totalDistributed() public view returns (uint256) {
        return token.totalDistributed();
    }

    /// @notice Dividends distributed and not yet claimed (includes per-share rounding dust).
    function outstandingDividends() public view returns (uint256) {
        return totalDistributed() - totalClaimed;
    }

    /// @notice What the timelock may spend.
    function reserve() public view returns (uint256) {
        uint256 balance = stablecoin.balanceOf(address(this));
        uint256 owed = outstandingDividends();
        return balance > owed ? balance - owed : 0;
    }

    // ---------------------------------------------------------------- internal

    function _claim(address account) private returns (uint256 amount) {
        amount = token.takeDividends(account);
        if (amount == 0) revert NothingToClaim(account);
        totalClaimed += SafeCast.toUint96(amount);
        stablecoin.safeTransfer(account, amount);
        emit Claimed(account, amount);
    }
}
