// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title MockStablecoin
/// @notice DEV AND TESTS ONLY. 6 decimals, EIP-2612 permit, anyone may mint.
contract MockStablecoin is ERC20, ERC20Permit {
    constructor() ERC20("Mock Stablecoin", "mUSD") ERC20Permit("Mock Stablecoin") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
