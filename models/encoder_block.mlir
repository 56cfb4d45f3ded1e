// A BERT-style encoder layer in tfm (hidden 64, 4 heads, MLP 256), with
// dynamic batch and sequence: fused QKV projection, the exported
// shape-computation chain for the head split, masked attention, matmul
// epilogues (bias, GELU, residual) and layer norms. Weights are function
// arguments until the frontend lands. This is the canonical printed form:
// `kiln-opt` prints it back unchanged (test/dialects/tfm/transformer-block.mlir).
module {
  func.func @encoder_block(%arg0: tensor<?x?x64xf32>, %arg1: tensor<?x1x1x?xf32>, %arg2: tensor<64x192xf32>, %arg3: tensor<192xf32>, %arg4: tensor<64x64xf32>, %arg5: tensor<64xf32>, %arg6: tensor<64xf32>, %arg7: tensor<64xf32>, %arg8: tensor<64x256xf32>, %arg9: tensor<256xf32>, %arg10: tensor<256x64xf32>, %arg11: tensor<64xf32>, %arg12: tensor<64xf32>, %arg13: tensor<64xf32>) -> tensor<?x?x64xf32> {
    %0 = tfm.matmul %arg0, %arg2 bias %arg3 : (tensor<?x?x64xf32>, tensor<64x192xf32>, tensor<192xf32>) -> tensor<?x?x192xf32>
    %1:3 = tfm.split %0 {axis = 2 : i64} : (tensor<?x?x192xf32>) -> (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>)
    %2 = tfm.shape %arg0 {end = 2 : i64} : (tensor<?x?x64xf32>) -> tensor<2xi64>
    %cst = tfm.constant dense<[4, 16]> : tensor<2xi64>
    %3 = tfm.concat %2, %cst {axis = 0 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<4xi64>
    %4 = tfm.reshape %1#0, %3 : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
    %5 = tfm.reshape %1#1, %3 : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
    %6 = tfm.reshape %1#2, %3 : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
    %7 = tfm.transpose %4 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32>
    %8 = tfm.transpose %5 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32>
    %9 = tfm.transpose %6 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32>
    %10 = tfm.attention %7, %8, %9 mask %arg1 : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x1x1x?xf32>) -> tensor<?x4x?x16xf32>
    %11 = tfm.transpose %10 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x4x?x16xf32>) -> tensor<?x?x4x16xf32>
    %cst_0 = tfm.constant dense<64> : tensor<1xi64>
    %12 = tfm.concat %2, %cst_0 {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<3xi64>
    %13 = tfm.reshape %11, %12 : (tensor<?x?x4x16xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
    %14 = tfm.matmul %13, %arg4 bias %arg5 residual %arg0 : (tensor<?x?x64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
    %15 = tfm.layer_norm %14, %arg6, %arg7 {axis = 2 : i64, epsilon = 9.99999996E-13 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
    %16 = tfm.matmul %15, %arg8 bias %arg9 activation gelu : (tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<256xf32>) -> tensor<?x?x256xf32>
    %17 = tfm.matmul %16, %arg10 bias %arg11 residual %15 : (tensor<?x?x256xf32>, tensor<256x64xf32>, tensor<64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
    %18 = tfm.layer_norm %17, %arg12, %arg13 {axis = 2 : i64, epsilon = 9.99999996E-13 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
    return %18 : tensor<?x?x64xf32>
  }
}

