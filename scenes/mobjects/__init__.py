"""The widget library: reusable pieces for drawing a GPT, to import into your own scenes.

    from scenes.mobjects import TokenRow, VectorColumn, MatrixWithEllipses, AttentionGrid, ProbabilityBars
    from scenes.mobjects import ArcDiagram, LossCurve, ChatTranscript

Each is a VGroup (or Group, for images) built from real numbers you pass in,
usually from a gptmath trace, and each keeps what it drew (`shown_values`,
`shown_indices`, ...) so tests and your own code can check that the picture
matches the data. The modules group them by what they draw:

- `text`: label, number, GlyphText, fit, even_labels, line_text, quoted
- `numbers`: elide, value_cell, VectorColumn, MatrixWithEllipses, HeatMap, brackets, size_brace, labelled
- `products`: Equation, symbol, VectorRow, TokenVectorRow, Product, ResidualSum
- `neurons`: ActivationPlot, RowCallouts
- `tokens`: TokenRow, TokenText, token_header, token_slots, SpanBracket
- `space`: RotatingCloud, clearest_azimuth, dot_legend, SimilarityBars, DotProductLine, round_ticks
- `attention`: AttentionGrid, PatternThumbnail, ArcDiagram, weighted_link
- `heads`: RotationDial, DialRow, ScaledDot, WeightedSum, HeadMap, HeadGrid, RoleLegend, ROLE_COLORS, readable_grid
- `charts`: ProbabilityBars, NextTokenBars, TemperatureReadout, temperature_text, LossCurve, before_after,
  AreaComparison, LossStrip
- `model`: LogitProduct, StreamBlock, ParameterTally, TallyRow
- `chat`: ChatTranscript, ModelBox, continued_text

Every class's docstring ends with a short example that `tests/test_widget_examples.py` renders.
"""
from scenes.mobjects.attention import ArcDiagram, AttentionGrid, PatternThumbnail, weighted_link
from scenes.mobjects.charts import (
    AreaComparison, LossCurve, LossStrip, NextTokenBars, ProbabilityBars, TemperatureReadout, before_after,
    temperature_text,
)
from scenes.mobjects.chat import ChatTranscript, ModelBox, continued_text
from scenes.mobjects.heads import (
    ROLE_COLORS, DialRow, HeadGrid, HeadMap, RoleLegend, RotationDial, ScaledDot, WeightedSum, pair_text, readable_grid,
)
from scenes.mobjects.model import LogitProduct, ParameterTally, StreamBlock, TallyRow
from scenes.mobjects.neurons import ActivationPlot, RowCallouts
from scenes.mobjects.numbers import (
    SMALL_NUMBER, HeatMap, MatrixWithEllipses, VectorColumn, brackets, elide, labelled, size_brace, value_cell,
)
from scenes.mobjects.products import Equation, Product, ResidualSum, TokenVectorRow, VectorRow, symbol
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
    "DialRow", "HeadGrid", "ResidualSum", "readable_grid",
]
