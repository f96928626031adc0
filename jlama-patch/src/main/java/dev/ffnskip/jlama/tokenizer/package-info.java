/**
 * Our own GPT-2 style byte-level BPE tokenizer ({@link dev.ffnskip.jlama.tokenizer.ByteLevelBpeTokenizer}) for GGUF
 * vocabularies ({@code tokenizer.ggml.model = "gpt2"}) and Hugging Face {@code tokenizer.json} files, implementing
 * Jlama's {@code Tokenizer} interface. Jlama 0.8.4's own BPE tokenizer groups digit runs where SmolLM's
 * {@code Digits(individual_digits=true)} pre-tokenizer isolates every digit; this one matches Hugging Face's encoding.
 * The vocabulary is given as plain values ({@link dev.ffnskip.jlama.tokenizer.BpeVocabulary}).
 */
package dev.ffnskip.jlama.tokenizer;
