// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IOffering {
    /// @notice Offering terms. Amounts are stablecoin base units; `price` buys one whole token
    /// (10**18 token base units); times are unix seconds.
    struct Terms {
        uint128 price;
        uint128 softCap;
        uint128 hardCap;
        uint128 minInvestment;
        uint128 maxInvestment;
        uint40 startTime;
        uint40 endTime;
        uint32 coolingOff;
    }
}
