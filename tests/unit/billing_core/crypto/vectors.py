"""Published test vectors, copied from the standards via the sources named next to each value.
Never computed by us: a test that compares our output to these can fail."""

from __future__ import annotations

# GB/T 32905-2016 (SM3) Annex A, examples 1 and 2; reproduced e.g. in the README of
# gitee.com/LanceChen/gmutil ("GB/T 32905-2016 附录A") and in Go/Rust SM3 test suites.
SM3_VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]

# GB/T 32907-2016 (SM4) Annex A, example 1: one block, key = plaintext (same gmutil README, "A.1 示例1").
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
SM4_GB_PLAIN = bytes.fromhex("0123456789abcdeffedcba9876543210")
SM4_GB_CIPHER = bytes.fromhex("681edf34d206965e86b3e94f536e4246")
# Example 2: the same block encrypted 1,000,000 times with the same key (also in BouncyCastle's
# SM4 engine test "Test1000000" and several Go/C# SM4 suites found with the search tool).
SM4_GB_MILLION = bytes.fromhex("595298c7c6fd271f0402f804c33d3f66")

# SM4 ECB/CBC multi-block examples of draft-ribose-cfrg-sm4-10 Appendix A.2 (the IETF description of
# GB/T 32907), as used by the SM4 test suites found with the search tool (e.g. an eHSM test vector file
# and a Rust "A.2.1.1 SM4-ECB Example 1 / A.2.2.1 SM4-CBC Example 1" test).
SM4_KEY_2 = bytes.fromhex("fedcba98765432100123456789abcdef")
SM4_IV = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
SM4_PLAIN = bytes.fromhex("aaaaaaaabbbbbbbbccccccccddddddddeeeeeeeeffffffffaaaaaaaabbbbbbbb")
SM4_ECB_CIPHER = bytes.fromhex("5ec8143de509cff7b5179f8f474b86192f1d305a7fb17df985f81c8482192304")
SM4_CBC_CIPHER = bytes.fromhex("78ebb11cc40b0a48312aaeb2040244cb4cb7016951909226979b0d15dc6a8f6d")
SM4_CBC_CIPHER_2 = bytes.fromhex("0d3a6ddc2d21c698857215587b7bb59a91f2c147911a4144665e1fa1d40bae38")

# GM/T 0003.5-2012 (= GB/T 32918.5-2017) Annex A (signature) and Annex C (encryption) on the
# recommended curve, as transcribed in github.com/chenpengcong/sm2-with-openssl
# (sm2_sign_verify.c and test_sm2_encrypt_decrypt.c, "《GMT 0003.5-2012 ...》附录A/附录C").
SM2_D = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
SM2_PUB = ("04"
           "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
           "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")
SM2_SIGN_MESSAGE = b"message digest"
SM2_SIGN_USER_ID = b"1234567812345678"
SM2_SIGN_E = "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640"  # 杂凑值 H = SM3(Z_A || M)
SM2_SIGN_R = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
SM2_SIGN_S = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
SM2_ENC_MESSAGE = b"encryption standard"
SM2_ENC_C1X = "04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73"
SM2_ENC_C1Y = "E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0"
SM2_ENC_C3 = "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766"
SM2_ENC_C2 = "21886CA989CA9C7D58087307CA93092D651EFA"
# The same ciphertext as GM/T 0009 DER, byte for byte as that file lists it (C1 y needs a 00 pad).
SM2_ENC_DER = (
    "307c"
    "0220" + SM2_ENC_C1X
    + "022100" + SM2_ENC_C1Y
    + "0420" + SM2_ENC_C3
    + "0413" + SM2_ENC_C2
)
