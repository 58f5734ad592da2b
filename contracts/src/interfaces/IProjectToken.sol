// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The project-specific surface of ProjectToken used by Offering and Treasury.
interface IProjectToken {
    /// @notice Mints `amount` to `to`; only the project's offering.
    function mint(address to, uint256 amount) external;

    /// @notice Adds `amount` (stablecoin base units) to the dividend-per-share of the eligible
    /// supply; only the project's treasury. Returns the 1-based distribution index.
    function recordDistribution(uint256 amount) external returns (uint256 index);

    /// @notice Brings `account` up to date, zeroes its claimable dividends and returns them;
    /// only the project's treasury (which then pays them).
    function takeDividends(address account) external returns (uint256 amount);

    /// @notice Dividends `account` can claim now.
    function dividendOf(address account) external view returns (uint256);

    /// @notice Sum of every distribution recorded.
    function totalDistributed() external view returns (uint256);

    /// @notice Dividends `account` has claimed so far.
    function claimedDividendsOf(address account) external view returns (uint256);
}
