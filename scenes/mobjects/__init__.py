"""The widget library: reusable pieces for drawing a GPT, to import into your own scenes.

    from scenes.mobjects import TokenRow, VectorColumn, MatrixWithEllipses, AttentionGrid, ProbabilityBars
    from scenes.mobjects import ArcDiagram, LossCurve, ChatTranscript

Each is a VGroup (or Group, for images) built from real numbers you pass in,
usually from a gptmath trace, and each keeps what it drew (`shown_values`,
`shown_indices`, ...) so tests and your own code can check that the picture
matches the data. The modules group them by what they draw:

- `text`: label, number, GlyphText, fit, even_labels, line_text, quoted
- `numbers`: elide, value_cell, VectorColumn, MatrixWithEllipses, HeatMap, brackets, size_brace, labelled,
  Equation, ActivationPlot, RowCallouts, symbol, VectorRow, TokenVectorRow, Product
- `tokens`: TokenRow, TokenText, token_header, token_slots, SpanBracket
- `space`: RotatingCloud, clearest_azimuth, dot_legend, SimilarityBars, DotProductLine, round_ticks
- `attention`: AttentionGrid, PatternThumbnail, ArcDiagram, weighted_link, RotationDial, ScaledDot, WeightedSum,
  HeadMap, RoleLegend
- `charts`: ProbabilityBars, NextTokenBars, TemperatureReadout, temperature_text, LossCurve, LogitProduct,
  StreamBlock, ParameterTally, TallyRow, before_after, AreaComparison, LossStrip
- `chat`: ChatTranscript, ModelBox, continued_text

Every class's docstring ends with a short example that `tests/test_widget_examples.py` renders.
"""
from scenes.mobjects.attention import (
    ROLE_COLORS, ArcDiagram, AttentionGrid, HeadMap, PatternThumbnail, RoleLegend, RotationDial, ScaledDot, WeightedSum,
    pair_text, weighted_link,
)
from scenes.mobjects.charts import (
    AreaComparison, LogitProduct, LossCurve, LossStrip, NextTokenBars, ParameterTally, ProbabilityBars, StreamBlock,
    TallyRow, TemperatureReadout, before_after, temperature_text,
)
from scenes.mobjects.chat import ChatTranscript, ModelBox, continued_text
from scenes.mobjects.numbers import (
    SMALL_NUMBER, ActivationPlot, Equation, HeatMap, MatrixWithEllipses, Product, RowCallouts, TokenVectorRow,
    VectorColumn, VectorRow, brackets, elide, labelled, size_brace, symbol, value_cell,
)
from scenes.mobjects.space import (
    DotProductLine, RotatingCloud, SimilarityBars, clearest_azimuth, dot_legend, round_ticks,
)
from scenes.mobjects.text import GlyphText, even_labels, fit, label, line_text, number, number_text, quoted, text_width
from scenes.mobjects.tokens import SpanBracket, TokenRow, TokenText, token_header, token_slots

__all__ = [
    "ArcDiagram", "AttentionGrid", "ChatTranscript", "GlyphText", "HeatMap", "LossCurve", "MatrixWithEllipses",
    "PatternThumbnail", "ProbabilityBars", "TokenRow", "TokenText", "VectorColumn", "brackets", "elide", "even_labels",
    "fit", "label", "line_text", "number", "number_text", "quoted", "size_brace", "text_width", "value_cell",
    "LogitProduct", "ModelBox", "NextTokenBars", "ParameterTally", "StreamBlock", "TallyRow", "TemperatureReadout",
    "continued_text", "temperature_text",
    "ROLE_COLORS", "SMALL_NUMBER", "HeadMap", "Product", "RoleLegend", "RotationDial", "ScaledDot", "TokenVectorRow",
    "VectorRow", "WeightedSum", "pair_text", "symbol",
    "ActivationPlot", "DotProductLine", "Equation", "RotatingCloud", "RowCallouts", "SimilarityBars",
    "SpanBracket", "clearest_azimuth", "dot_legend", "labelled", "round_ticks", "token_header", "token_slots",
    "AreaComparison", "LossStrip", "before_after", "weighted_link",
]
