// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IIdentityRegistry {
    /// @notice True when the wallet has an identity, its KYC has not expired and it is not frozen.
    function isVerified(address wallet) external view returns (bool);

    /// @notice isVerified(a) && isVerified(b) in one call.
    function areVerified(address a, address b) external view returns (bool);

    /// @notice True for holders of the platform agent role.
    function isAgent(address account) external view returns (bool);
}
